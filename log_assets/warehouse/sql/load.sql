-- Loading one per-type table from its lake partitions, a set of days at a time, in one transaction.
-- @{table} is the table, @{columns} the lake columns it keeps, @{key} the column a derived table is
-- keyed by (or NULL). Temp tables _days (the days being rewritten) and _lake_days are set beforehand.

-- name: neighbours
-- Days next to the rewritten ones, where another copy of an incoming event may already be kept.
CREATE OR REPLACE TEMP TABLE _neighbours AS
SELECT DISTINCT d.event_day + o.step AS event_day
FROM _days d, (VALUES (-1), (1)) o(step)
WHERE d.event_day + o.step NOT IN (SELECT event_day FROM _days);

-- name: stage
-- One row per event_id: the earliest event time, then the latest delivery (a re-ingested copy
-- carries the current parse), then raw, so that the choice never depends on file order.
CREATE OR REPLACE TEMP TABLE _incoming AS
SELECT @{columns}, event_day
FROM read_parquet(getvariable('lake_files'), hive_partitioning = false, union_by_name = true)
QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY event_time, ingested_at DESC, raw) = 1;

-- name: stage_nothing
CREATE OR REPLACE TEMP TABLE _incoming AS SELECT * FROM @{table} LIMIT 0;

-- name: lake_columns
DESCRIBE SELECT * FROM read_parquet(getvariable('lake_files'), hive_partitioning = false, union_by_name = true);

-- name: lake_counts
CREATE OR REPLACE TEMP TABLE _lake_counts AS
SELECT event_day, count(*) AS lake_rows
FROM read_parquet(getvariable('lake_files'), hive_partitioning = false)
GROUP BY ALL;

-- name: no_lake_counts
CREATE OR REPLACE TEMP TABLE _lake_counts (event_day DATE, lake_rows BIGINT);

-- name: old_rows
-- What the rewritten days hold now: their keys are affected downstream, and an id that does not
-- come back may have a copy next door to restore.
CREATE OR REPLACE TEMP TABLE _old AS
SELECT event_id, @{key} AS change_key FROM @{table} WHERE event_day IN (SELECT event_day FROM _days);

-- name: delete_days
DELETE FROM @{table} WHERE event_day IN (SELECT event_day FROM _days);

-- name: rivals
-- Copies of one event on neighbouring days: the same preference decides which copy is kept.
-- The ids on both sides first (their id and day columns only; usually none), then their rows.
CREATE OR REPLACE TEMP TABLE _losers AS
WITH shared AS (
    SELECT event_id FROM @{table}
    WHERE event_day IN (SELECT event_day FROM _neighbours) AND event_id IN (SELECT event_id FROM _incoming)
),
rivals AS (
    SELECT event_id, event_day, event_time, ingested_at, raw, true AS incoming
    FROM _incoming
    WHERE event_id IN (SELECT event_id FROM shared)
    UNION ALL
    SELECT event_id, event_day, event_time, ingested_at, raw, false AS incoming
    FROM @{table}
    WHERE event_day IN (SELECT event_day FROM _neighbours) AND event_id IN (SELECT event_id FROM shared)
)
SELECT event_id, event_day, incoming FROM rivals
QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY event_time, ingested_at DESC, raw) > 1;

-- name: log_lost_neighbour_days
INSERT INTO _warehouse.changes
SELECT DISTINCT $seq, $table_name, event_day FROM _losers WHERE NOT incoming;

-- name: log_lost_neighbour_keys
INSERT INTO _warehouse.changed_keys
SELECT DISTINCT $seq, $table_name, t.@{key}
FROM @{table} t SEMI JOIN (SELECT event_id, event_day FROM _losers WHERE NOT incoming) l
    ON t.event_id = l.event_id AND t.event_day = l.event_day
WHERE t.@{key} IS NOT NULL;

-- name: drop_lost_neighbours
DELETE FROM @{table} t USING _losers l
WHERE NOT l.incoming AND t.event_id = l.event_id AND t.event_day = l.event_day;

-- name: drop_lost_incoming
DELETE FROM _incoming USING _losers l WHERE l.incoming AND _incoming.event_id = l.event_id;

-- name: insert
-- In day and time order: each row group then holds a day or two, so that the statements on a few
-- days (here, in publishing, in the checks) skip the others' row groups by their min/max.
INSERT INTO @{table} BY NAME SELECT * FROM _incoming ORDER BY event_day, event_time;

-- name: gone
-- Ids the rewritten days held that are now nowhere near them.
CREATE OR REPLACE TEMP TABLE _gone AS
SELECT DISTINCT event_id FROM _old
WHERE event_id NOT IN (
    SELECT event_id FROM @{table}
    WHERE event_day IN (SELECT event_day FROM _days UNION ALL SELECT event_day FROM _neighbours)
);

-- name: recover
-- Such an id's copy on a neighbouring day was set aside while the rewritten day's copy won; it now
-- takes the place (reads the neighbours' lake files, only when this happens).
CREATE OR REPLACE TEMP TABLE _recovered AS
SELECT @{columns}, event_day
FROM read_parquet(getvariable('neighbour_files'), hive_partitioning = false, union_by_name = true)
WHERE event_id IN (SELECT event_id FROM _gone)
QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY event_time, ingested_at DESC, raw) = 1;

-- name: insert_recovered
INSERT INTO @{table} BY NAME SELECT * FROM _recovered ORDER BY event_day, event_time;

-- name: log_recovered_days
INSERT INTO _warehouse.changes SELECT DISTINCT $seq, $table_name, event_day FROM _recovered;

-- name: log_days
INSERT INTO _warehouse.changes SELECT $seq, $table_name, event_day FROM _days;

-- name: log_keys
INSERT INTO _warehouse.changed_keys
SELECT DISTINCT $seq, $table_name, change_key FROM (
    SELECT change_key FROM _old
    UNION ALL SELECT @{key} FROM _incoming
    UNION ALL SELECT @{key} FROM _recovered
)
WHERE change_key IS NOT NULL;

-- name: no_recovered
CREATE OR REPLACE TEMP TABLE _recovered AS SELECT * FROM _incoming LIMIT 0;

-- name: forget_loads
DELETE FROM _warehouse.loads WHERE table_name = $table_name AND event_day IN (SELECT event_day FROM _days);

-- name: record_loads
INSERT INTO _warehouse.loads
SELECT $table_name, $vendor, $log_type, f.event_day, f.files, f.signature, coalesce(c.lake_rows, 0),
       count(t.event_id), max(t.event_time), now(), $seq
FROM _lake_days f
LEFT JOIN _lake_counts c ON c.event_day = f.event_day
LEFT JOIN @{table} t ON t.event_day = f.event_day
GROUP BY ALL;

-- name: set_days
CREATE OR REPLACE TEMP TABLE _days AS SELECT DISTINCT unnest($days::DATE[]) AS event_day;

-- name: set_lake_days
CREATE OR REPLACE TEMP TABLE _lake_days AS
SELECT unnest($days::DATE[]) AS event_day, unnest($files::INTEGER[]) AS files, unnest($signatures::VARCHAR[]) AS signature;

-- name: lake_snapshot
-- The lake snapshot the table was last loaded from completely; none once its loads were forgotten
-- (the table dropped to be loaded again), so that every day is compared with the lake then.
SELECT s.snapshot_id FROM _warehouse.lake_snapshots s
WHERE s.table_name = $table_name
  AND (s.loaded_days = 0 OR EXISTS (SELECT 1 FROM _warehouse.loads l WHERE l.table_name = $table_name));

-- name: forget_lake_snapshot
DELETE FROM _warehouse.lake_snapshots WHERE table_name = $table_name;

-- name: record_lake_snapshot
INSERT INTO _warehouse.lake_snapshots
SELECT $table_name, $snapshot_id, count(*) FROM _warehouse.loads WHERE table_name = $table_name;

-- name: loaded_days
SELECT event_day, lake_signature FROM _warehouse.loads WHERE table_name = $table_name;

-- name: day_report
SELECT l.event_day, l.lake_rows, l.rows FROM _warehouse.loads l
WHERE l.table_name = $table_name AND l.event_day IN (SELECT event_day FROM _days)
ORDER BY l.event_day;

-- name: moved_count
SELECT count(*) FROM _losers WHERE NOT incoming;

-- name: forget_table
-- A table dropped to be loaded again: every lake day of it counts as not loaded.
DELETE FROM _warehouse.loads WHERE table_name = $table_name;
