"""The writer: the only code that changes the build file.

A writer holds the lock beside the warehouse and one DuckDB connection to the build file
(`$LOG_ASSETS_HOME/.warehouse/build.duckdb`). Readers never open that file: they open
`warehouse.duckdb`, views over the tables `publish` publishes to the catalog (see `publish.py` and
README.md).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from log_assets.catalog import CATALOG
from log_assets.fsutil import fsync_dir, shared_umask
from log_assets.paths import Home
from log_assets.warehouse import derive, publish
from log_assets.warehouse.columns import NewColumns, add_columns
from log_assets.warehouse.derive import RefreshReport
from log_assets.warehouse.derived import DERIVED
from log_assets.warehouse.layout import Layout, TableRef
from log_assets.warehouse.load import LoadReport, sync_source
from log_assets.warehouse.lock import writer_lock
from log_assets.warehouse.publish import PublishReport
from log_assets.warehouse.sources import Source, cataloged_sources, lake_sources, uncataloged_source
from log_assets.warehouse.sqlfiles import column_defs, ident, sql

Connect = Callable[[Path], AbstractContextManager[duckdb.DuckDBPyConnection]]


def memory_limit() -> str:
    """DuckDB's default (80% of RAM) let a 10M-event rebuild reach ~20 GiB; cap it and let DuckDB
    spill to disk instead. LOG_ASSETS_DUCKDB_MEMORY_LIMIT overrides (e.g. "16GB")."""
    configured = os.environ.get("LOG_ASSETS_DUCKDB_MEMORY_LIMIT")
    if configured:
        return configured
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return "4GB"
    return f"{max(1, min(8, int(total * 0.4 / 2**30)))}GB"


def default_connect(path: Path) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
    return closing(duckdb.connect(str(path), config={"memory_limit": memory_limit()}))


class Writer:
    def __init__(
        self,
        conn: duckdb.DuckDBPyConnection,
        layout: Layout,
        catalog: dict = CATALOG,
        log: logging.Logger | None = None,
        now: Callable[[], datetime] | None = None,
    ):
        self.conn = conn
        self.layout = layout
        self.catalog = catalog
        self.log = log or logging.getLogger("log_assets.warehouse")
        self.now = now or (lambda: datetime.now(UTC))
        self._sources: list[Source] | None = None
        # Per-type table -> the new fields the lake brought it in this run (columns.follow_lake).
        self.new_columns: dict[str, NewColumns] = {}

    @property
    def home(self) -> Home:
        return self.layout.home

    # -- statements ---------------------------------------------------------------------------

    def run(self, file: str, section: str, params: dict | list | None = None, /, **slots: str):
        return self.conn.execute(sql(file, section, **slots), params)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.conn.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def new_batch(self, what: str) -> int:
        return self.run("meta", "next_seq", {"what": what}).fetchone()[0]

    def cursor(self, consumer: str) -> tuple[int, str | None] | None:
        return self.run("meta", "cursor", {"consumer": consumer}).fetchone()

    def set_cursor(self, consumer: str, seq: int, version: str | None = None) -> None:
        self.run("meta", "drop_cursor", {"consumer": consumer})
        self.run("meta", "add_cursor", {"consumer": consumer, "seq": seq, "version": version})

    def drop_cursor(self, consumer: str) -> None:
        self.run("meta", "drop_cursor", {"consumer": consumer})

    def set_variable(self, name: str, value) -> None:
        self.run("meta", "set_variable", {"value": value}, name=ident(name))

    def count(self, temp_table: str) -> int:
        return self.run("tables", "row_count", table=ident(temp_table)).fetchone()[0]

    def table_exists(self, ref: TableRef) -> bool:
        return bool(self.run("tables", "exists", {"schema": ref.schema, "table": ref.name}).fetchone()[0])

    def columns(self, ref: TableRef) -> list[tuple[str, str]]:
        return self.run("tables", "columns", {"schema": ref.schema, "table": ref.name}).fetchall()

    # -- set-up -------------------------------------------------------------------------------

    def init(self) -> Writer:
        self.conn.execute("SET TimeZone = 'UTC'")
        self.conn.execute(sql("meta", "create"))
        self.conn.execute(sql("meta", "macros"))
        for src in self.sources():
            self._ensure_source_table(src)
        for d in DERIVED:
            d.ensure(self)
        derive.define_events_view(self)
        return self

    def sources(self) -> list[Source]:
        """Per-type tables: the catalog's, those the lake has beyond it, those loaded before."""
        if self._sources is None:
            found = {s.ref: s for s in cataloged_sources(self.catalog)}
            for s in lake_sources(self.home, self.catalog):
                found.setdefault(s.ref, s)
            for vendor, log_type in self.run("meta", "loaded_types").fetchall():
                if (vendor, log_type) not in self.catalog:
                    s = uncataloged_source(vendor, log_type)
                    found.setdefault(s.ref, s)
            self._sources = sorted(found.values(), key=lambda s: (not s.cataloged, s.ref))
        return self._sources

    def _ensure_source_table(self, src: Source) -> None:
        wanted = src.columns
        if not self.table_exists(src.ref):
            self.run("tables", "per_type", table=src.ref.sql, column_defs=column_defs(wanted))
            return
        have = dict(self.columns(src.ref))
        retyped = [n for n, t in wanted if n in have and have[n] != t]
        if retyped:
            # The catalog now types a field differently (a list, a timestamp): the table is loaded
            # again from the lake, which keeps every record; readers keep the published snapshot.
            self.log.warning(
                "%s: columns %s change type; reloading the table from the lake", src.ref.key, ", ".join(retyped)
            )
            self.run("tables", "drop", table=src.ref.sql)
            self.run("load", "forget_table", {"table_name": src.ref.key})
            self.run("tables", "per_type", table=src.ref.sql, column_defs=column_defs(wanted))
            return
        # A catalog entry gained fields: older rows read NULL there.
        add_columns(self, src.ref, [(n, t) for n, t in wanted if n not in have])

    # -- the work -----------------------------------------------------------------------------

    def sync(self, sources: Iterable[Source] | None = None) -> dict[str, LoadReport]:
        """Load the lake days changed since each table last loaded (from the lake's snapshots; see load.py)."""
        reports = {}
        for src in self.sources() if sources is None else sources:
            report = reports[src.ref.key] = sync_source(self, src)
            noted = self.new_columns.pop(src.ref.key, None)
            if noted is not None:
                report.new_columns, report.new_columns_beyond_limit = list(noted.added), list(noted.beyond_limit)
        return reports

    def refresh(self, names: Iterable[str] | None = None) -> dict[str, RefreshReport]:
        """Bring derived tables up to date with the changes logged since each last ran."""
        wanted = None if names is None else set(names)
        return {d.ref.key: d.refresh(self) for d in DERIVED if wanted is None or d.ref.key in wanted}

    def publish(self) -> PublishReport:
        return publish.publish(self)

    def row_count(self, ref: TableRef) -> int:
        return self.run("tables", "row_count", table=ref.sql).fetchone()[0]


@contextmanager
def open_writer(
    home: Home | str | Path | None = None,
    database: str | Path | None = None,
    connect: Connect | None = None,
    log: logging.Logger | None = None,
    **options,
) -> Iterator[Writer]:
    """Lock, open the build file and make sure its tables exist.

    Everything DuckDB creates meanwhile (the build file, its WAL and spill files, the views file)
    gets the shared modes of LOG_ASSETS_FILE_MODE, whatever the umask."""
    layout = _layout(home, database)
    with shared_umask(), writer_lock(layout.lock, log), (connect or default_connect)(layout.build_db) as conn:
        yield Writer(conn, layout, log=log, **options).init()


def _layout(home: Home | str | Path | None, database: str | Path | None) -> Layout:
    return Layout(home if isinstance(home, Home) else Home.from_env(home), Path(database) if database else None)


def sync(home=None, database=None, connect: Connect | None = None, log=None, **options) -> dict:
    """Load what changed in the lake, refresh the derived tables, publish. The routine update."""
    with open_writer(home, database, connect, log, **options) as w:
        loads = w.sync()
        derived = w.refresh()
        published = w.publish()
    return {"loads": loads, "derived": derived, "published": published}


def rebuild(home=None, database=None, connect: Connect | None = None, log=None, **options) -> dict:
    """Build the whole warehouse again from the lake, into a new build file swapped in at the end,
    then publish every day of every table again.

    Until the new tables are published, readers keep the current ones; a rebuild that fails leaves
    the current build file and what it published as they were.
    """
    layout = _layout(home, database)
    connect = connect or default_connect
    log = log or logging.getLogger("log_assets.warehouse")
    with shared_umask(), writer_lock(layout.lock, log):
        fresh = layout.build_db.with_name(layout.build_db.name + ".rebuild")
        for p in (fresh, _wal(fresh)):
            p.unlink(missing_ok=True)
        with connect(fresh) as conn:
            w = Writer(conn, layout, log=log, **options).init()
            loads = w.sync()
            derived = w.refresh()
            if layout.build_db.exists():
                publish.carry_over(conn, layout.build_db)
            conn.execute("CHECKPOINT")
        _wal(layout.build_db).unlink(missing_ok=True)  # the old file's: it must not replay onto the new one
        os.replace(fresh, layout.build_db)
        fsync_dir(layout.build_db.parent)
        with connect(layout.build_db) as conn:
            # No publication cursor in the new file: every day of every table is published again.
            published = Writer(conn, layout, log=log, **options).init().publish()
    return {"loads": loads, "derived": derived, "published": published}


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")
