"""The `ocsf.*` tables of a warehouse built the way `make demo` builds one (the real pipeline on the
built-in simulator, all 15 log types): every row of every table is a valid OCSF 1.8.0 event, every
record of the per-type tables is in exactly one of them, and the catalog holds the same rows."""

from __future__ import annotations

import pytest

from log_assets.catalog import CATALOG
from log_assets.ocsf.schema import class_schema
from log_assets.ocsf.validate import row_to_event, validate_event
from log_assets.warehouse import connect_readonly
from log_assets.warehouse.ocsftables import OCSF_CLASSES, OCSF_TABLES
from tests.lakeview import lake_table

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# The classes of the records (OCSF_CLASSES) and the alerts as findings (the detection engine's
# ocsf.detection_finding): every table of the schema.
EMITTED = (*OCSF_CLASSES, "detection_finding")


@pytest.fixture(scope="module")
def conn(warehouse_home):
    c = connect_readonly(warehouse_home)
    yield c
    c.close()


def test_tables_are_named_by_their_class(conn):
    tables = {
        r[0]
        for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'ocsf'"
        ).fetchall()
    }
    assert tables == set(EMITTED)
    for name in EMITTED:
        # the vendored schema's $id names the class as the schema does
        assert class_schema(name)["$id"].endswith(f"/1.8.0/classes/{name}")


@pytest.mark.parametrize("name", EMITTED)
def test_every_row_is_valid(conn, name):
    cur = conn.execute(f"SELECT * FROM ocsf.{name}")
    cols = [d[0] for d in cur.description]
    rows = cur.fetchall()
    assert rows, f"ocsf.{name} is empty on the demo's data"
    invalid = {}
    for values in rows:
        event = row_to_event(dict(zip(cols, values, strict=True)))
        errors = validate_event(event)
        if errors:
            invalid[event["metadata"]["uid"]] = errors
    assert not invalid, f"{len(invalid)} of {len(rows)} rows invalid, e.g. {next(iter(invalid.items()))}"


def test_every_record_is_in_exactly_one_table(conn):
    """No record of a mapped log type is dropped or doubled: per log type, the OCSF rows (by
    metadata.uid) are the per-type table's event ids."""
    mapped = {ref.key for t in OCSF_TABLES for ref in t.reads}
    assert mapped == {f"{v}.{t}" for v, t in CATALOG}, "every cataloged log type is mapped"
    union = " UNION ALL ".join(
        "SELECT metadata.log_name AS log_type, metadata.product.vendor_name AS vendor, metadata.uid AS uid "
        f"FROM ocsf.{n}"
        for n in OCSF_CLASSES
    )
    for key in sorted(mapped):
        vendor, log_type = key.split(".")
        ids = sorted(r[0] for r in conn.execute(f"SELECT event_id FROM {key}").fetchall())
        product = "Forcepoint" if vendor == "forcepoint" else "Palo Alto Networks"
        got = sorted(
            r[0]
            for r in conn.execute(
                f"SELECT uid FROM ({union}) WHERE log_type = $1 AND vendor = $2", [log_type, product]
            ).fetchall()
        )
        assert got == ids, key


def test_published_to_the_catalog(warehouse_home, conn):
    for name in EMITTED:
        published = lake_table(warehouse_home, "ocsf", name, columns=["metadata"]).column("metadata").to_pylist()
        uids = sorted(m["uid"] for m in published)
        assert uids == sorted(r[0] for r in conn.execute(f"SELECT metadata.uid FROM ocsf.{name}").fetchall()), name
