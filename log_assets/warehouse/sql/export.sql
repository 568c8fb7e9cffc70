-- Publishing: each (table, day) readers see is one immutable Parquet file; a rewritten day gets a
-- new file and the old one is retired, never overwritten.

-- name: set_export_days
CREATE OR REPLACE TEMP TABLE _export_days AS SELECT DISTINCT unnest($days::DATE[]) AS event_day;

-- name: copy
COPY (SELECT * FROM @{table} WHERE event_day IN (SELECT event_day FROM _export_days))
TO @{directory} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (event_day), APPEND,
                 FILENAME_PATTERN 'b@{seq}_{uuid}', RETURN_FILES true);

-- name: day_rows
SELECT event_day, count(*) FROM @{table} WHERE event_day IN (SELECT event_day FROM _export_days) GROUP BY ALL;

-- name: retire_replaced
INSERT INTO _warehouse.retired
SELECT path, now() FROM _warehouse.exported
WHERE table_name = $table_name AND event_day IN (SELECT event_day FROM _export_days);

-- name: drop_replaced
DELETE FROM _warehouse.exported
WHERE table_name = $table_name AND event_day IN (SELECT event_day FROM _export_days);

-- name: add_exported
INSERT INTO _warehouse.exported
SELECT $table_name, unnest($days::DATE[]), unnest($paths::VARCHAR[]), unnest($rows::BIGINT[]);

-- name: retire_table
INSERT INTO _warehouse.retired SELECT path, now() FROM _warehouse.exported WHERE table_name = $table_name;

-- name: drop_table
DELETE FROM _warehouse.exported WHERE table_name = $table_name;

-- name: forget_table_columns
DELETE FROM _warehouse.exported_tables WHERE table_name = $table_name;

-- name: set_table_columns
INSERT INTO _warehouse.exported_tables VALUES ($table_name, $columns);

-- name: exported_days
SELECT DISTINCT event_day FROM _warehouse.exported WHERE table_name = $table_name;

-- name: table_days
SELECT DISTINCT event_day FROM @{table};

-- name: changed_days
SELECT DISTINCT table_name, event_day FROM _warehouse.changes WHERE seq > $since;

-- name: expired
SELECT path FROM _warehouse.retired WHERE retired_at < $before;

-- name: forget_expired
DELETE FROM _warehouse.retired WHERE retired_at < $before;

-- name: manifest
SELECT table_name, list(path ORDER BY event_day) FROM _warehouse.exported GROUP BY table_name;

-- name: exported_tables
SELECT table_name, columns FROM _warehouse.exported_tables;

-- name: known_paths
SELECT path FROM _warehouse.exported UNION SELECT path FROM _warehouse.retired;

-- name: in_use
-- Read from a build file about to be replaced: every file a snapshot may still point at.
SELECT path, NULL::TIMESTAMPTZ FROM _warehouse.exported
UNION ALL
SELECT path, retired_at FROM _warehouse.retired;

-- name: carry_retired
INSERT INTO _warehouse.retired
SELECT path, coalesce(since, now())
FROM (SELECT unnest($paths::VARCHAR[]) AS path, unnest($since::TIMESTAMPTZ[]) AS since);
