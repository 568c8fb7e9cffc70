-- The published warehouse.duckdb: views over the data files of the published Iceberg tables'
-- current snapshots, nothing else to lock.

-- name: view
-- All files of a table share one column list (a change of columns publishes every day again), so
-- binding reads one file's footer, not all of them.
CREATE VIEW @{table} AS
SELECT @{columns}
FROM read_parquet(@{files}, hive_partitioning = false);

-- name: file_columns
-- The columns of a published data file as DuckDB reads them.
SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(@{files}, hive_partitioning = false));

-- name: empty
CREATE TABLE @{table} (@{column_defs});

-- name: schema
CREATE SCHEMA IF NOT EXISTS @{schema};

-- name: loads
-- Which lake files each day was loaded from, and when: for freshness and lake checks.
CREATE TABLE _warehouse.loads AS SELECT * FROM _loads;
