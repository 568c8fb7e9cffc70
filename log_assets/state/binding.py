"""The storage root and its database know each other: one home id, written in both.

A home is a pair: the database (`LOG_ASSETS_DATABASE_URL`: pipeline state and the lake's Iceberg
catalog) and the storage root (`LOG_ASSETS_STORAGE_URL`: the lake's files); a named tenant's come from
its own settings. Paired wrongly, a run
would start a new quota count, or make a new empty table over a lake whose catalog is elsewhere. So
the pair carries an id: a row of `log_assets_state_home` in the database (a named tenant's: its row of
`log_assets_state_tenant_homes`, so that tenants share a database, each with its own storage root)
and the object `lake/.log-assets-home.json` on the storage root. Every run that opens a home checks it
(`bind_home`, from `open_state` and `Lake.for_home`), before any request is sent:

- the same id in both: go;
- neither has one, the database holds no state and the lake no table metadata: a new home, both written;
- neither has one and the database holds state or catalog rows (a home of a version before the id):
  adopted, both written, unless a catalog row points outside this storage root;
- the database's id was written but the storage root lost the object while the database records
  this same root (a run stopped between the two writes): the object is written again;
- anything else (another home's database, a new or empty database beside an existing lake, a
  database that records another storage root) is refused by HomeMismatch naming both and the fix.

The database is written first, then the storage root, and the database's row is the arbiter between
two first runs: both write the id that won the insert.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from log_assets.state import tables as t
from log_assets.state.db import Database
from log_assets.state.errors import HomeMismatch, LakeMetadataMissing
from log_assets.storage import Storage
from log_assets.tenant import DEFAULT_CATALOG, DEFAULT_TENANT, Tenant

log = logging.getLogger(__name__)

HOME_KEY = "lake/.log-assets-home.json"
_ROW = "home"
ICEBERG_TABLES = "iceberg_tables"
CATALOG_NAME = DEFAULT_CATALOG  # the default tenant's; a tenant's is Tenant.catalog_name
# `lake/<namespace>.db/<table>/metadata/<version>-<uuid>.metadata.json`, as pyiceberg names them.
_METADATA = re.compile(r"^lake/[^/]+\.db/[^/]+/metadata/[^/]+\.metadata\.json$")

ADOPT_COMMAND = "python -m log_assets.lake adopt"


@dataclass(frozen=True)
class HomeBinding:
    home_id: str
    how: str  # "same", "new", "adopted", "completed"


def _fix(tenant: Tenant) -> str:
    return (
        f"Restore the database from its backup (for the SQLite default, the file and its -wal file), or point "
        f"{tenant.database_setting} at the database of this storage root (or {tenant.storage_setting} at the "
        f"storage root of this database). Only if the database is truly lost: `{ADOPT_COMMAND}` with both "
        "variables set as for a run re-registers the lake's tables found on the storage root in this "
        "database (pyiceberg's Catalog.register_table) and binds the two; the walk positions and the request "
        "counts of the lost database are not recovered (today's quota may already be partly spent, and days are "
        "fetched again)."
    )


def bind_home(
    db: Database, storage: Storage, *, tenant: Tenant = DEFAULT_TENANT, logger: logging.Logger | None = None
) -> HomeBinding:
    """Check that `db` and `storage` are the two halves of `tenant`'s home, binding them the first time.
    Raises HomeMismatch (nothing changed) when they are not. The state tables must exist. Tenants
    sharing one database each have their own binding (and storage root), and a tenant looks only at
    its own state rows and catalog: another tenant's never make its first run refused."""
    logger = logger or log
    stored = read_storage_id(storage)
    _check_tenant(stored, storage, tenant)
    row = _read_row(db, tenant)
    if row is not None:
        db_id, db_storage = row
        if stored is not None:
            if stored["home_id"] == db_id:
                return HomeBinding(db_id, "same")
            raise HomeMismatch(
                f"the database {db.url} belongs to home {db_id}, but the storage root {storage.describe()} to "
                f"home {stored['home_id']} (its {HOME_KEY}, written beside the database "
                f"{stored.get('database', '?')}): they are not one home, and a run on them would count "
                "requests again and write one lake's tables from another's catalog. Nothing was changed. "
                f"{_fix(tenant)}"
            )
        if db_storage == storage.url:
            _write_storage_id(storage, db_id, db, tenant)
            logger.info(
                "the storage root %s had not the home id %s yet (%s: a binding cut short, or under way in "
                "another run); the database %s records this root as its own: written",
                storage.describe(),
                db_id,
                HOME_KEY,
                db.url,
            )
            return HomeBinding(db_id, "completed")
        raise HomeMismatch(
            f"the database {db.url} belongs to home {db_id}, whose storage root is {db_storage}, but this run's "
            f"storage root is {storage.describe()} (it has no {HOME_KEY}): they are not one home. Nothing was "
            f"changed. Point {tenant.storage_setting} at {db_storage}, or {tenant.database_setting} at the "
            f"database of {storage.url}."
        )
    if stored is not None:
        raise HomeMismatch(
            f"the storage root {storage.describe()} belongs to home {stored['home_id']} (its {HOME_KEY}, written "
            f"beside the database {stored.get('database', '?')}), but the database {db.url} has no home id: it is "
            f"a new or another database beside an existing lake, and a run would start the request count again "
            f"and make the lake's tables anew over their files. Nothing was changed. {_fix(tenant)}"
        )
    state_rows, catalog_locations = _database_contents(db, tenant)
    if not state_rows and not catalog_locations:
        found = table_metadata(storage)
        if found:
            raise HomeMismatch(
                f"the storage root {storage.describe()} holds the lake's tables ({_tables_of(found)}) but the "
                f"database {db.url} is empty: its database was lost or is another one, and a run would make "
                f"the tables anew over their files. Nothing was changed. {_fix(tenant)}"
            )
        how = "new"
    else:
        foreign = sorted({loc for loc in catalog_locations if storage.key_of(loc) is None})
        if foreign:
            raise HomeMismatch(
                f"the database {db.url} holds lake tables whose files are not on this run's storage root "
                f"{storage.describe()} (e.g. {foreign[0]}): they are not one home. Nothing was changed. Point "
                f"{tenant.storage_setting} at the storage root of those tables."
            )
        how = "adopted"
    home_id = _insert_row(db, uuid.uuid4().hex, storage, tenant)
    _write_storage_id(storage, home_id, db, tenant)
    logger.info(
        "home %s of %s: the database %s and the storage root %s bound to each other (%s)",
        home_id,
        tenant.describe(),
        db.url,
        storage.describe(),
        "a new home" if how == "new" else "a home of an earlier version, adopted",
    )
    return HomeBinding(home_id, how)


def _check_tenant(stored: dict | None, storage: Storage, tenant: Tenant) -> None:
    """A storage root is one tenant's: a run of another tenant pointed at it (a mistyped name, a
    missing `tenant:` or --tenant) is refused, naming the tenant it belongs to. Documents written
    before tenants existed name none and belong to the default tenant."""
    if stored is None:
        return
    owner = stored.get("tenant")
    if owner != tenant.name:
        whose = f"tenant {owner!r}" if owner else "the default tenant"
        how = f"--tenant {owner} (its Component's or build_defs' `tenant: {owner}`)" if owner else "no --tenant"
        raise HomeMismatch(
            f"the storage root {storage.describe()} is the home of {whose}, not of {tenant.describe()}: a run "
            f"or command of one tenant never reads or writes another's lake. Nothing was changed. Use {how}, "
            f"or point {tenant.describe()} at its own home and storage root."
        )


def adopt_binding(db: Database, storage: Storage, tenant: Tenant = DEFAULT_TENANT) -> str:
    """Bind `db` to the home id of `storage` (after its tables were re-registered in `db`) for `tenant`:
    what `python -m log_assets.lake adopt` does last. A database bound to another home is refused."""
    stored = read_storage_id(storage)
    _check_tenant(stored, storage, tenant)
    row = _read_row(db, tenant)
    if row is not None:
        if stored is not None and stored["home_id"] != row[0]:
            raise HomeMismatch(
                f"the database {db.url} belongs to home {row[0]}, not to the home {stored['home_id']} of the "
                f"storage root {storage.describe()}: adopt only into the database of this home or a new one"
            )
        home_id = row[0]
    else:
        home_id = _insert_row(db, stored["home_id"] if stored else uuid.uuid4().hex, storage, tenant)
    _write_storage_id(storage, home_id, db, tenant)
    return home_id


# ------------------------------------------------------------------------------------ storage


def read_storage_id(storage: Storage) -> dict | None:
    """The storage root's home document, or None when it has none. An unreadable one is refused."""
    try:
        raw = storage.read_bytes(HOME_KEY)
    except FileNotFoundError:
        return None
    try:
        doc = json.loads(raw)
        if not isinstance(doc, dict) or not isinstance(doc.get("home_id"), str) or not doc["home_id"]:
            raise ValueError("no home_id")
    except ValueError as e:
        raise HomeMismatch(
            f"{storage.uri(HOME_KEY)} is unreadable ({e}): it names the home this storage root belongs to. "
            "Restore it from the storage's backup or versioning; nothing was changed"
        ) from None
    return doc


def _write_storage_id(storage: Storage, home_id: str, db: Database, tenant: Tenant = DEFAULT_TENANT) -> None:
    doc = {
        "home_id": home_id,
        "tenant": tenant.name,  # None: the default tenant
        "database": db.url,  # masked: the document names the database, never its password
        "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "about": "the log-assets home this storage root belongs to; its database holds the same id",
    }
    storage.write_bytes(HOME_KEY, (json.dumps(doc, indent=1) + "\n").encode())


def table_metadata(storage: Storage, prefix: str = "lake") -> list[str]:
    """The keys of the Iceberg table-metadata files under `prefix` of the storage root."""
    return [o.key for o in storage.list(prefix) if _METADATA.match(o.key)]


# In a table's metadata folder: the metadata files of a table this lake dropped on purpose (the
# warehouse's publish drops a table whose column changed type and makes it again at the same place).
DROPPED_NAME = ".dropped.json"


def dropped_metadata(storage: Storage, folder: str) -> set[str]:
    """The metadata keys recorded under `folder` as those of a table dropped on purpose."""
    try:
        doc = json.loads(storage.read_bytes(f"{folder}/{DROPPED_NAME}"))
    except FileNotFoundError:
        return set()
    except ValueError:
        return set()  # unreadable: nothing counts as dropped, so a create stays refused
    return {k for k in doc.get("metadata", []) if isinstance(k, str)} if isinstance(doc, dict) else set()


def record_dropped(storage: Storage, folder: str) -> None:
    """Record the metadata files now under `folder` as those of a table dropped on purpose, so that
    making the table again there is not taken for a table made over a lost catalog's files."""
    keys = set(table_metadata(storage, folder)) | dropped_metadata(storage, folder)
    if keys:
        doc = {"metadata": sorted(keys), "dropped_at": datetime.now(UTC).isoformat(timespec="seconds")}
        storage.write_bytes(f"{folder}/{DROPPED_NAME}", (json.dumps(doc, indent=1) + "\n").encode())


def live_metadata(storage: Storage, folder: str) -> list[str]:
    """The table-metadata files under a table's metadata `folder`, oldest version first, without those
    of a table dropped on purpose there (`record_dropped`)."""
    dropped = dropped_metadata(storage, folder)
    return sorted((k for k in table_metadata(storage, folder) if k not in dropped), key=metadata_order)


def _tables_of(keys: list[str]) -> str:
    names = sorted({k.split("/")[1].removesuffix(".db") + "." + k.split("/")[2] for k in keys})
    return ", ".join(names)


# ----------------------------------------------------------------------------------- database


def _binding_row(tenant: Tenant) -> tuple[sa.Table, sa.ColumnElement[bool], dict[str, str]]:
    """Where `tenant`'s binding is: the default tenant's, the one row of `home` (as before tenants);
    a named tenant's, its row of `tenant_homes`."""
    if tenant.name is None:
        return t.home, t.home.c.slot == _ROW, {"slot": _ROW}
    return t.tenant_homes, t.tenant_homes.c.tenant == tenant.name, {"tenant": tenant.name}


def _read_row(db: Database, tenant: Tenant) -> tuple[str, str] | None:
    table, where, _ = _binding_row(tenant)

    def read(conn: Connection) -> tuple[str, str] | None:
        r = conn.execute(sa.select(table.c.home_id, table.c.storage_url).where(where)).one_or_none()
        return None if r is None else (r.home_id, r.storage_url)

    return db.run(
        read,
        doing="reading the home id",
        write=False,
        consequence="Nothing was fetched or changed: run again when the database is back.",
    )


def _insert_row(db: Database, home_id: str, storage: Storage, tenant: Tenant) -> str:
    """Insert the tenant's home row unless one is there; the id in the database afterwards."""

    dialect_insert = postgresql.insert if db.backend == "postgresql" else sqlite.insert
    table, where, slot = _binding_row(tenant)

    def insert(conn: Connection) -> str:
        # Two first runs at once: one row wins, both go on with its id.
        conn.execute(
            dialect_insert(table)
            .values(**slot, home_id=home_id, storage_url=storage.url, bound_at=datetime.now(UTC))
            .on_conflict_do_nothing(index_elements=list(slot))
        )
        return conn.execute(sa.select(table.c.home_id).where(where)).scalar_one()

    return db.run(
        insert,
        doing="writing the home id",
        consequence="Nothing was fetched: run again when the database is back.",
    )


def _own_keys(column: sa.ColumnElement[str], tenant: Tenant) -> sa.ColumnElement[bool]:
    """The rows of `tenant`'s state keys: a named tenant's start with its prefix (`acme/`); the
    default tenant's are `<vendor>/<type>`, with no prefix (one '/': a log type has none)."""
    if tenant.state_prefix:
        return column.startswith(tenant.state_prefix, autoescape=True)
    return ~column.like("%/%/%")


def _database_contents(db: Database, tenant: Tenant) -> tuple[int, list[str]]:
    """`tenant`'s state rows (walks, days, quota) and its catalog's table metadata locations in `db`."""

    def read(conn: Connection) -> tuple[int, list[str]]:
        rows = sum(
            conn.execute(sa.select(sa.func.count()).select_from(tbl).where(_own_keys(col, tenant))).scalar_one()
            for tbl, col in ((t.walks, t.walks.c.stream), (t.days, t.days.c.stream), (t.quota, t.quota.c.key))
        )
        locations: list[str] = []
        if sa.inspect(conn).has_table(ICEBERG_TABLES):
            query = sa.select(_CATALOG.c.metadata_location).where(_CATALOG.c.catalog_name == tenant.catalog_name)
            locations = [loc for (loc,) in conn.execute(query) if loc]
        return rows, locations

    return db.run(
        read,
        doing="looking at what the database holds",
        write=False,
        consequence="Nothing was fetched or changed: run again when the database is back.",
    )


# ------------------------------------------------------------------------------ table metadata


def missing_metadata_message(table: str, location: str, storage: Storage) -> str:
    """What to say of a table whose current metadata file (`location`) is gone from the storage root."""
    key = storage.key_of(location)
    earlier = ""
    if key is not None:
        folder = key.rsplit("/", 1)[0]
        left = live_metadata(storage, folder)
        if left:
            earlier = (
                f" The newest metadata file still there is {storage.uri(left[-1])}: if no copy of the lost one is "
                f"left, `{ADOPT_COMMAND} --table {table}` points the catalog at it (the writes made after it are "
                "lost from the table: fetch those days again)."
            )
    return (
        f"the lake table {table} cannot be opened: its current metadata file {location} is missing from the "
        f"storage root {storage.describe()} (deleted or lost). Nothing was fetched or written. Restore that file "
        f"from the storage root's backup or object versioning (same name, same place).{earlier}"
    )


def metadata_order(key: str) -> tuple[int, str]:
    """pyiceberg names metadata files `<version>-<uuid>.metadata.json`: newest last."""
    name = key.rsplit("/", 1)[-1]
    head = name.split("-", 1)[0]
    return (int(head) if head.isdigit() else -1, name)


# pyiceberg's SQL catalog table (its columns this module reads): the state needs no pyiceberg.
_CATALOG = sa.table(
    ICEBERG_TABLES,
    sa.column("catalog_name"),
    sa.column("table_namespace"),
    sa.column("table_name"),
    sa.column("metadata_location"),
)


def metadata_locations(
    conn: Connection, namespace: str, names: Collection[str] | None = None, *, catalog: str = CATALOG_NAME
) -> list[tuple[str, str]]:
    """(table, current metadata location) of the lake catalog `catalog`'s tables of `namespace` (of
    `names` only when given), read from the catalog's own table (one whose metadata file is gone
    cannot be loaded)."""
    if not sa.inspect(conn).has_table(ICEBERG_TABLES):
        return []
    query = sa.select(_CATALOG.c.table_name, _CATALOG.c.metadata_location).where(
        _CATALOG.c.catalog_name == catalog, _CATALOG.c.table_namespace == namespace
    )
    return [(n, loc) for n, loc in conn.execute(query) if loc and (names is None or n in names)]


def check_table_metadata(
    db: Database, storage: Storage, namespace: str, names: Iterable[str] | None, *, catalog: str = CATALOG_NAME
) -> None:
    """Every row of the lake catalog `catalog` (a tenant's `catalog_name`) of `namespace` (of `names`
    only when given) points at a metadata file the storage root holds; LakeMetadataMissing naming the
    table, the file and the recovery otherwise. A run checks this before it sends its first request: a
    table it could not open would otherwise fail it after the requests were spent."""
    wanted = None if names is None else set(names)

    rows = db.run(
        lambda conn: metadata_locations(conn, namespace, wanted, catalog=catalog),
        doing=f"reading the lake catalog's {namespace} tables",
        write=False,
        consequence="Nothing was fetched or changed: run again when the database is back.",
    )
    for name, location in rows:
        key = storage.key_of(location)
        if key is not None and not storage.exists(key):
            raise LakeMetadataMissing(missing_metadata_message(f"{namespace}.{name}", location, storage))
