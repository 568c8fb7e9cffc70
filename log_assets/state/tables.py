"""The state tables. All are prefixed `log_assets_state_`, apart from the Iceberg catalog's own tables
(`iceberg_tables`, `iceberg_namespace_properties`) that share the database.

- `meta`: the schema version, one row;
- `walks`: per stream (`forcepoint/<type>`) the walk in progress and the tail token, as JSON
  documents, with the version a save must match (optimistic concurrency) and the id of the write
  that made it (so a save retried after a lost answer can tell that it committed);
- `days`: per stream and UTC day, whether the day is in the lake and complete (written in the same
  transaction as the walk document);
- `quota`: per key (`forcepoint/<type>`) and UTC day, the requests charged and the server's last
  reported remaining;
- `quota_charges`: one row per charged request, by the caller's request id, in the transaction that
  counted it: a charge retried after a lost answer finds its row and is not counted twice;
- `home`: one row, the id of the default tenant's home this database belongs to (the storage root
  holds the same id, binding.py) and the storage root it was bound to;
- `tenant_homes`: the same, one row per named tenant whose home uses this database (made by
  `create_all` on a database of an earlier version: no migration);
- `ingest_audit`: one row per request to a vendor's API (log_assets/ops/audit.py), kept
  `LOG_ASSETS_AUDIT_RETENTION_DAYS` days (made by `create_all` too: no migration).

A named tenant's streams, quota keys and lock names carry its prefix (`acme/forcepoint/access`,
`Tenant.state_prefix`); the default tenant's have none (`forcepoint/access`).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from log_assets.state.errors import SchemaMismatch

PREFIX = "log_assets_state_"
SCHEMA_VERSION = 1

metadata = sa.MetaData()

meta = sa.Table(
    f"{PREFIX}meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(200), nullable=False),
)

walks = sa.Table(
    f"{PREFIX}walks",
    metadata,
    sa.Column("stream", sa.String(200), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("walk", sa.Text, nullable=True),
    sa.Column("tail", sa.Text, nullable=True),
    sa.Column("write_id", sa.String(64), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

days = sa.Table(
    f"{PREFIX}days",
    metadata,
    sa.Column("stream", sa.String(200), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("complete", sa.Boolean, nullable=False),
    sa.Column("walk_id", sa.String(100), nullable=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

quota = sa.Table(
    f"{PREFIX}quota",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("spent", sa.Integer, nullable=False),
    sa.Column("server_remaining", sa.Integer, nullable=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

quota_charges = sa.Table(
    f"{PREFIX}quota_charges",
    metadata,
    sa.Column("request_id", sa.String(64), primary_key=True),
    sa.Column("key", sa.String(200), nullable=False),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("spent", sa.Integer, nullable=False),  # the day's count with this request
    sa.Column("server_remaining", sa.Integer, nullable=True),
    sa.Column("charged_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index(f"{PREFIX}quota_charges_day", "day"),
)

home = sa.Table(
    f"{PREFIX}home",
    metadata,
    sa.Column("slot", sa.String(16), primary_key=True),  # always "home": one row
    sa.Column("home_id", sa.String(64), nullable=False),
    sa.Column("storage_url", sa.Text, nullable=False),
    sa.Column("bound_at", sa.DateTime(timezone=True), nullable=False),
)

tenant_homes = sa.Table(
    f"{PREFIX}tenant_homes",
    metadata,
    # A named tenant's binding (binding.py), one row per tenant sharing this database; the default
    # tenant's is the row of `home`, as before tenants.
    sa.Column("tenant", sa.String(64), primary_key=True),
    sa.Column("home_id", sa.String(64), nullable=False),
    sa.Column("storage_url", sa.Text, nullable=False),
    sa.Column("bound_at", sa.DateTime(timezone=True), nullable=False),
)

ingest_audit = sa.Table(
    f"{PREFIX}ingest_audit",
    metadata,
    sa.Column("audit_id", sa.String(64), primary_key=True),  # a retried insert finds its row
    sa.Column("stream", sa.String(200), nullable=False),  # `forcepoint/access`, `aperture/*` (tenant-prefixed)
    sa.Column("endpoint", sa.String(32), nullable=False),  # logs (Forcepoint); events, token (Aperture)
    sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("status", sa.Integer, nullable=True),  # the HTTP status; NULL: no answer
    sa.Column("bytes", sa.BigInteger, nullable=False),
    sa.Column("records", sa.Integer, nullable=True),  # NULL: the body was not read as records
    sa.Column("duration_ms", sa.Integer, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),  # written to the wire, retries included
    sa.Column("quota_left", sa.Integer, nullable=True),
    sa.Column("error", sa.String(300), nullable=True),
    sa.Index(f"{PREFIX}ingest_audit_stream_time", "stream", "requested_at"),
)

# Charge rows are needed only while a retry may still ask about them; these days are kept.
KEEP_CHARGES_DAYS = 7


def create_schema(conn: Connection) -> None:
    """Create what is missing and check the version (inside the caller's transaction, which holds a
    lock that serializes this between processes)."""
    metadata.create_all(conn)
    found = conn.execute(sa.select(meta.c.value).where(meta.c.key == "schema_version")).scalar_one_or_none()
    if found is None:
        conn.execute(sa.insert(meta).values(key="schema_version", value=str(SCHEMA_VERSION)))
        return
    try:
        version = int(found)
    except ValueError:
        version = -1
    if version > SCHEMA_VERSION:
        raise SchemaMismatch(
            f"the state tables ({PREFIX}*) are at schema version {found}, made by a newer log-assets than this "
            f"one (which knows version {SCHEMA_VERSION}): upgrade log-assets on this machine"
        )
    if version < 1:
        raise SchemaMismatch(
            f"table {meta.name} holds schema_version {found!r}, which no log-assets wrote: the {PREFIX}* "
            "tables in this database are not ours; point LOG_ASSETS_DATABASE_URL at another database"
        )
