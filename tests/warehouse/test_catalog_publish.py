"""The warehouse's tables published to the Iceberg catalog (namespaces `warehouse`, `analytics`, `ocsf`):
the same rows as the DuckDB tables, only the changed days rewritten, a failed publication made up
at the next run."""

from __future__ import annotations

from contextlib import closing
from dataclasses import replace
from datetime import date

import duckdb
import pytest

from log_assets.catalog import CATALOG, FORCEPOINT
from log_assets.lake.lake import Lake
from log_assets.warehouse import connect_readonly, sync
from log_assets.warehouse.catalog import _select_list, iceberg_name
from log_assets.warehouse.layout import Layout, TableRef
from tests.warehouse import conftest as lake
from tests.warehouse.lakegen import remove_day, write

pytestmark = [pytest.mark.slow]

D2 = date(2026, 3, 2)
A7 = lake.access("A7", "2026-03-02 15:00", "carol", "10.0.0.9", "Gmail", "Allowed", dlppattern="SSN")


def relations(home) -> list[TableRef]:
    with closing(connect_readonly(home)) as c:
        names = c.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema IN ('forcepoint', 'aperture', 'analytics', 'ocsf', 'ops') ORDER BY ALL"
        ).fetchall()
    return [TableRef(s, n) for s, n in names]


def differences(home, t: TableRef) -> tuple[int, int, int]:
    """(rows in the DuckDB table, rows only there, rows only in the published Iceberg table)."""
    with Lake.for_home(home) as lk:
        tbl = lk.catalog.load_table(iceberg_name(t))
        published = tbl.scan().to_arrow()
    with closing(connect_readonly(home)) as c:
        columns = c.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            [t.schema, t.name],
        ).fetchall()
        c.register("published", published)
        mine = f"SELECT {_select_list(columns)} FROM {t.sql}"
        names = ", ".join(f'"{n}"' for n in published.column_names)
        rows = c.execute(f"SELECT count(*) FROM {t.sql}").fetchone()[0]
        only_here = c.execute(
            f"SELECT count(*) FROM ({mine} EXCEPT ALL SELECT {names} FROM published)"
        ).fetchone()[0]
        only_there = c.execute(
            f"SELECT count(*) FROM (SELECT {names} FROM published EXCEPT ALL {mine})"
        ).fetchone()[0]
    return rows, only_here, only_there


def snapshot_of(home, t: TableRef) -> int | None:
    with Lake.for_home(home) as lk:
        tbl = lk.catalog.load_table(iceberg_name(t))
        snap = tbl.current_snapshot()
        return snap.snapshot_id if snap else None


def changed_since(home, t: TableRef, snapshot_id: int | None) -> set[date]:
    with Lake.for_home(home) as lk:
        return set(lk.changed_days(*iceberg_name(t), snapshot_id).days)


def test_every_table_is_published_with_the_same_rows(home):
    result = sync(home)
    refs = relations(home)
    assert {iceberg_name(t) for t in refs} >= {
        ("warehouse", "forcepoint_access"),
        ("warehouse", "forcepoint_cloudsummary_current"),
        ("warehouse", "aperture_incident_current"),
        ("analytics", "events"),
        ("analytics", "incidents"),
        ("analytics", "activity_daily"),
    }
    assert set(result["published"].catalog.written) == {".".join(iceberg_name(t)) for t in refs}
    for t in refs:
        rows, only_here, only_there = differences(home, t)
        assert (only_here, only_there) == (0, 0), f"{t.key}: {only_here} rows not published, {only_there} extra"
    assert differences(home, TableRef("analytics", "events"))[0] > 0
    with Lake.for_home(home) as lk:  # an INTERVAL column is published in seconds
        names = lk.catalog.load_table(("analytics", "incidents")).schema().as_arrow().names
    assert "time_to_remediate_seconds" in names and "time_to_remediate" not in names


def test_only_the_changed_days_are_rewritten_and_a_day_leaving_goes(home):
    sync(home)
    access, events = TableRef("forcepoint", "access"), TableRef("analytics", "events")
    before = {t: snapshot_of(home, t) for t in (access, events)}
    summary = TableRef("forcepoint", "cloudsummary")
    summary_before = snapshot_of(home, summary)

    write(home, [A7], "p1")  # a late event for D2 of forcepoint/access
    result = sync(home)
    written = result["published"].catalog.written
    assert written["warehouse.forcepoint_access"] == 1 and written["analytics.events"] == 1
    assert "warehouse.forcepoint_cloudsummary" not in written
    assert changed_since(home, access, before[access]) == {D2}
    assert changed_since(home, events, before[events]) == {D2}
    assert snapshot_of(home, summary) == summary_before
    for t in (access, events):
        assert differences(home, t)[1:] == (0, 0)

    remove_day(home, "forcepoint", "cloudsummary", "2026-03-02")
    sync(home)
    with Lake.for_home(home) as lk:
        assert D2 not in lk.days("warehouse", "forcepoint_cloudsummary")
    assert differences(home, summary)[1:] == (0, 0)
    assert differences(home, TableRef("forcepoint", "cloudsummary_current"))[1:] == (0, 0)


def test_a_publication_that_failed_is_made_up_at_the_next_run(home, monkeypatch):
    sync(home)
    write(home, [A7], "p1")
    real = Lake.writer

    def store_out(self, namespace, name, *a, **k):
        if namespace in ("warehouse", "analytics"):
            raise OSError("the object store did not answer")
        return real(self, namespace, name, *a, **k)

    monkeypatch.setattr(Lake, "writer", store_out)
    with pytest.raises(OSError, match="did not answer"):
        sync(home)
    monkeypatch.setattr(Lake, "writer", real)
    result = sync(home)
    assert result["published"].catalog.written["warehouse.forcepoint_access"] == 1
    for t in (TableRef("forcepoint", "access"), TableRef("analytics", "events")):
        assert differences(home, t)[1:] == (0, 0)


def test_analytics_events_is_read_without_a_join_or_a_union(home):
    """Readers' analytics.events is a view over its published rows: one Parquet scan, whose filters
    reach the files. The build's view (a UNION of the per-type tables in one shape) plans no join
    either: an IN list of five or more constants would be a MARK join, computed for every row of
    every table whatever the query reads. Its one join is the lookup of the display names that
    resolve to an e-mail (user_key): a small table, probed by the build's queries, every one of which
    reads user_key anyway (activity_daily, identities, the publication); readers' view has none."""
    sync(home)
    query = "EXPLAIN SELECT max(event_time) FROM analytics.events"
    with closing(connect_readonly(home)) as c:
        plan = c.execute(query).fetchall()[0][1].upper()
        assert "JOIN" not in plan and "UNION" not in plan, plan
        filtered = c.execute("EXPLAIN SELECT raw FROM analytics.events WHERE user_email = 'alice@x'").fetchall()
        assert "READ_PARQUET" in filtered[0][1].upper() and "FILTERS" in filtered[0][1].upper(), filtered[0][1]
        assert c.execute("SELECT count(*) FROM analytics.events WHERE user_email = 'alice@x'").fetchone()[0] > 0
    with closing(duckdb.connect(str(Layout(home).build_db), read_only=True)) as c:
        plan = c.execute(query).fetchall()[0][1].upper()
        assert "UNION" in plan and "MARK" not in plan, plan
        assert plan.count("JOIN TYPE") == 1 and "IDENTITY_NAMES" in plan, plan


def test_a_change_of_the_events_mapping_publishes_every_day_again(home, monkeypatch):
    """Readers get analytics.events from its published rows, so a change of its mapping (here a catalog
    entry's) reaches them: every day is published again, not only days whose per-type rows changed."""
    sync(home)
    access = CATALOG[(FORCEPOINT, "access")]
    by_email = replace(access.events, columns=(*access.events.columns, ("user_name", ("email",))))
    monkeypatch.setitem(CATALOG, (FORCEPOINT, "access"), replace(access, events=by_email))
    result = sync(home)
    events = TableRef("analytics", "events")
    with Lake.for_home(home) as lk:
        days = set(lk.days(*iceberg_name(events)))
    assert result["published"].catalog.written["analytics.events"] == len(days) == 3
    assert "warehouse.forcepoint_access" not in result["published"].catalog.written
    with closing(connect_readonly(home)) as c:
        assert c.execute("SELECT user_name FROM analytics.events WHERE event_id = 'A2'").fetchall() == [
            ("alice@x",)
        ]
    assert differences(home, events)[1:] == (0, 0)
