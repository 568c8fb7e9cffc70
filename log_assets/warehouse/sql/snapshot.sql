-- The published warehouse.duckdb: views over the exported Parquet files, nothing else to lock.

-- name: view
-- All files of a table share one column list (a change of columns exports every day again), so
-- binding reads one file's footer, not all of them.
CREATE VIEW @{table} AS
SELECT @{columns}
FROM read_parquet(@{files}, hive_partitioning = true, hive_types = {'event_day': DATE});

-- name: empty
CREATE TABLE @{table} (@{column_defs});

-- name: schema
CREATE SCHEMA IF NOT EXISTS @{schema};

-- name: loads
-- Which lake files each day was loaded from, and when: for freshness and lake checks.
CREATE TABLE _warehouse.loads AS SELECT * FROM _loads;
