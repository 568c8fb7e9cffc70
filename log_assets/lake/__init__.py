"""The lake: Apache Iceberg tables (pyiceberg's SQL catalog on SQLite or PostgreSQL) that both vendors
write through, one day at a time. What the package offers, by module (import from these; this package
itself imports nothing, so that loading the definitions does not load pyiceberg):

- `lake`: `Lake`, the tables of a catalog and the storage that holds their files (`Lake.for_home`,
  `Lake.open`): create and evolve tables, replace whole days or append rows (one commit each), read
  days as now or as of a time (`as_of`, for forensics), days changed since a snapshot, maintenance.
- `daywriter`: `DayWriter`, a write fed a table at a time with bounded memory (`Lake.writer`).
- `layout`: the names and sizes the tables share (`DAY_COLUMN`, `LAKE_PREFIX`, `COMPACT_OVER_FILES`,
  the table properties) and schema conversion (`lake_schema`, `with_event_day`, `plain_schema`,
  `norm_type`, `table_location`).
- `catalog`: opening the SQL catalog (`open_catalog`), the database's URL (`database_url_of`,
  `database_url_from_env`), namespaces.
- `snapshots`: a table's days and their files and figures from its metadata (`day_files`,
  `days_filter`, `day_of`), changed days, the snapshot current at a time.
- `maintenance`: compaction, snapshot expiry, removal of unreferenced files (`Lake.maintain`).
- `errors` (`LakeError` and its kinds) and `results` (`Commit`, `DayStats`, `Changes`, `DayFigures`,
  `MaintenanceReport`).
- `daymerge` (a day's merge, deduplicated, and its commit made again when the day changed under
  it), `schema` (schemas from the catalog), `colnames` (column names a table can take, `DAY_COLUMN`),
  `limits` (bounds on new columns, `COMPACT_OVER_FILES`), `damage`/`adopt` (damaged files;
  re-registering a table), `writer` (the walk's staged pages as Arrow IPC bytes), `fileio`
  (pyiceberg's FileIO for a local storage root).

`_pyiceberg` is private: the only module that uses pyiceberg beyond its documented public API.

Layout
------
- Catalog: pyiceberg's SQL catalog named `log_assets`, in the database of `LOG_ASSETS_DATABASE_URL`
  (default: the SQLite file `$LOG_ASSETS_HOME/log_assets.db`); its rows live in the tables
  `iceberg_tables` and `iceberg_namespace_properties`.
- Tables: `<vendor>.<log_type>` (namespace per vendor), the lake columns (`lake.schema.arrow_schema`)
  with `event_day` (DATE, the UTC day of `event_time`) after the common ones, partitioned by
  `identity(event_day)`.
- Files: `<storage root>/lake/<namespace>.db/<table>/` (the Hive convention, so that the tables never
  share a folder with the Parquet day folders `lake/<vendor>/<log_type>/date=*/` of earlier
  versions, which log_assets.legacy moves), holding `data/event_day=YYYY-MM-DD/*.parquet` (zstd)
  and `metadata/` (table metadata, manifests).

Writing
-------
A write is one commit, one snapshot: `replace_days` swaps whole days (the days' files out, the new
ones in: an OVERWRITE snapshot, or an APPEND for days that had no files); `append` adds rows to their
days. The data files are written first, outside the commit; a commit that loses a race with another
writer (CommitFailedException) is redone on a fresh load of the table with the same files, a bounded
number of times. A reader keeps the snapshot it started with, whole, until maintenance removes its
files after the retention period.

New columns arrive by schema evolution (union by name; new columns are optional).

Reading as of a time (forensics)
--------------------------------
Every snapshot of the last `retention` (default 7 days; see `maintain`) stays readable::

    lake = Lake.open()
    lake.as_of("forcepoint", "access", datetime(2026, 11, 20, 9, 30, tzinfo=UTC), days=[date(2026, 11, 19)])

or with pyiceberg alone (any machine with the database URL and the storage credentials)::

    from pyiceberg.catalog.sql import SqlCatalog
    cat = SqlCatalog("log_assets", uri="sqlite:////data/log_assets.db")   # + s3.* properties on S3
    tbl = cat.load_table("forcepoint.access")
    snap = tbl.snapshot_as_of_timestamp(int(when.timestamp() * 1000))
    tbl.scan(snapshot_id=snap.snapshot_id, row_filter="event_day == '2026-11-19'").to_arrow()

`tbl.inspect.snapshots()` lists the snapshots (time, operation, per-day summaries); `tbl.history()`
which one was current when.
"""
