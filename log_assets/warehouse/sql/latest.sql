-- The latest row per key of a per-type table (forcepoint.cloudsummary_current, aperture.incident_current).

-- name: select
SELECT * FROM @{source}
WHERE @{key} IS NOT NULL AND @{key_filter}
QUALIFY row_number() OVER (PARTITION BY @{key} ORDER BY @{order}) = 1

-- name: cloudsummary_order
-- A file's status at the latest time; the later delivery, then the id, break a tie within a second.
event_time DESC, ingested_at DESC, event_id DESC

-- name: incident_order
-- An incident as last edited.
event_time DESC, datetime_edited DESC NULLS LAST, ingested_at DESC, event_id DESC

-- name: candidates
-- Incremental: the rows of affected keys on the rewritten days. Rows on other days never beat a
-- key's current row, so they are not read.
CREATE OR REPLACE TEMP TABLE _candidates AS
SELECT * FROM @{source}
WHERE event_day IN (SELECT event_day FROM _days) AND @{key} IN (SELECT key FROM _keys);

-- name: stale
-- Keys whose current row left the source (its day was rewritten without it): only these are
-- recomputed from all their rows.
CREATE OR REPLACE TEMP TABLE _stale AS
SELECT @{key} AS key FROM @{target}
WHERE @{key} IN (SELECT key FROM _keys) AND event_day IN (SELECT event_day FROM _days)
  AND event_id NOT IN (SELECT event_id FROM _candidates);

-- name: merge
CREATE OR REPLACE TEMP TABLE _latest AS
SELECT * FROM (
    SELECT * FROM @{target} WHERE @{key} IN (SELECT key FROM _keys)
    UNION ALL BY NAME
    SELECT * FROM _candidates
)
WHERE @{key} NOT IN (SELECT key FROM _stale)
QUALIFY row_number() OVER (PARTITION BY @{key} ORDER BY @{order}) = 1;

-- name: add_stale
INSERT INTO _latest BY NAME @{select};

-- name: to_replace
-- Keys whose latest row is no longer the current one (a different event or delivery), or that have none now.
CREATE OR REPLACE TEMP TABLE _replace AS
SELECT key FROM _keys
WHERE key NOT IN (
    SELECT l.@{key} FROM _latest l JOIN @{target} t
    ON t.@{key} = l.@{key} AND t.event_id = l.event_id AND t.ingested_at = l.ingested_at
);

-- name: replaced
SELECT * FROM _latest WHERE @{key} IN (SELECT key FROM _replace)
