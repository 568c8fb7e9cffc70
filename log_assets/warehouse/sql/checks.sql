-- Checks run against the published snapshot, the way an analyst sees the data.

-- name: duplicate_keys
SELECT count(*) AS keys, coalesce(sum(n), 0) AS rows, list(k ORDER BY k)[1:5] AS examples
FROM (SELECT concat_ws(' / ', @{key}) AS k, count(*) AS n FROM @{table} GROUP BY @{key} HAVING count(*) > 1);

-- name: future_events
SELECT count(*), max(@{time}) FROM @{table} WHERE @{time} > $limit;

-- name: recent_loads
-- The days of the latest loads of a table, with the lake files they were loaded from.
SELECT event_day, lake_signature FROM _warehouse.loads
WHERE table_name = $table_name
ORDER BY seq DESC, event_day DESC
LIMIT $limit;

-- name: lake_vs_table
-- The lake's distinct ids on the days against the table: each is kept once, on its day or (a copy
-- that gave way to one on a neighbouring day) next door, and nothing else is there.
WITH lake AS (
    SELECT DISTINCT event_id FROM read_parquet(getvariable('lake_files'), hive_partitioning = false)
),
kept AS (
    SELECT event_id FROM @{table} WHERE list_contains($days::DATE[], event_day)
),
nearby AS (
    SELECT event_id FROM @{table} WHERE list_contains($near::DATE[], event_day)
)
SELECT
    (SELECT count(*) FROM lake) AS lake_ids,
    (SELECT count(*) FROM kept) AS rows,
    (SELECT count(*) FROM lake WHERE event_id NOT IN (SELECT event_id FROM kept)
                                 AND event_id IN (SELECT event_id FROM nearby)) AS next_door,
    (SELECT count(*) FROM lake WHERE event_id NOT IN (SELECT event_id FROM nearby)) AS missing,
    (SELECT count(*) FROM kept WHERE event_id NOT IN (SELECT event_id FROM lake)) AS extra;

-- name: newest_event
SELECT max(max_event_time), max(loaded_at) FROM _warehouse.loads WHERE vendor = $vendor;

-- name: count
SELECT count(*) FROM @{table};

-- name: activity_events
SELECT coalesce(sum(events), 0) FROM analytics.activity_daily;

-- name: relations
SELECT table_schema, table_name FROM information_schema.tables
WHERE table_schema = $schema ORDER BY table_name;

-- name: public_relations
SELECT table_schema, table_name FROM information_schema.tables
WHERE table_schema IN ('forcepoint', 'aperture', 'analytics', 'ocsf') ORDER BY ALL;
