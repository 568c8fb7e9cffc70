-- Derived tables. Each statement creates @{table}; a table whose columns differ from its statement
-- is dropped and rebuilt.

-- name: forcepoint.cloudsummary_current
-- The latest status per fileid: the same columns as forcepoint.cloudsummary.
CREATE TABLE @{table} AS SELECT * FROM forcepoint.cloudsummary LIMIT 0;

-- name: aperture.incident_current
-- The latest record per incident_id: the same columns as aperture.incident.
CREATE TABLE @{table} AS SELECT * FROM aperture.incident LIMIT 0;

-- name: analytics.incidents
CREATE TABLE @{table} (
    vendor VARCHAR NOT NULL,
    log_type VARCHAR NOT NULL,          -- the type whose records define the incident
    incident_id VARCHAR NOT NULL,       -- Aperture incident_id; a Forcepoint DLP hit's event_id
    event_day DATE NOT NULL,            -- UTC day of first_seen
    first_seen TIMESTAMPTZ NOT NULL,    -- earliest incident / violation record (remediation only if nothing else)
    last_seen TIMESTAMPTZ NOT NULL,
    last_edited TIMESTAMPTZ,            -- Aperture datetime_edited of the latest incident record
    severity DOUBLE,                    -- Aperture 0-5; NULL for Forcepoint (no severity in its records)
    status VARCHAR NOT NULL,            -- open | remediated (Aperture), detected (Forcepoint)
    user_name VARCHAR,
    user_email VARCHAR,
    user_key VARCHAR,                   -- as analytics.events.user_key
    app_name VARCHAR,
    object_name VARCHAR,                -- the item, file or URL at risk
    domain VARCHAR,                     -- Forcepoint: the destination domain
    policy VARCHAR,                     -- policy_names joined with ', '
    policy_names VARCHAR[],             -- Aperture policy rules; Forcepoint matched DLP patterns
    action VARCHAR,                     -- action taken on the violation / by the DLP policy
    exposure VARCHAR,
    violations BIGINT,
    remediation_action VARCHAR,
    remediated_by VARCHAR,
    remediated_at TIMESTAMPTZ,
    time_to_remediate INTERVAL,         -- remediated_at - first_seen; NULL when unknown, never negative
    event_id VARCHAR NOT NULL           -- the record the row's attributes come from
);

-- name: analytics.identities
CREATE TABLE @{table} (
    event_day DATE NOT NULL,            -- UTC day of last_seen (the partition)
    user_key VARCHAR NOT NULL,          -- the person: the lower-cased e-mail address
    display_name VARCHAR,               -- the name most of the person's records carry
    display_names VARCHAR[] NOT NULL,   -- every name seen with the address (sorted), ambiguous ones apart
    email VARCHAR,                      -- the address as records spell it (the smallest spelling)
    vendors VARCHAR[] NOT NULL,         -- the vendors whose records name the person
    first_seen TIMESTAMPTZ NOT NULL,
    last_seen TIMESTAMPTZ NOT NULL,
    events BIGINT NOT NULL,             -- records keyed on the person (by address or by resolved name)
    ambiguous_names VARCHAR[] NOT NULL  -- names seen with this address and another: not keyed on it
);

-- name: analytics.activity_daily
CREATE TABLE @{table} (
    event_day DATE NOT NULL,            -- UTC day
    vendor VARCHAR NOT NULL,
    user_key VARCHAR,                   -- as analytics.events.user_key
    user_name VARCHAR,                  -- the smallest user_name of the group's events
    user_email VARCHAR,                 -- the smallest user_email of the group's events
    app_name VARCHAR,
    action VARCHAR,
    events BIGINT NOT NULL,
    bytes_out BIGINT,                   -- uploaded, where the source reports it
    bytes_in BIGINT,                    -- downloaded, where the source reports it
    source_ips BIGINT NOT NULL          -- distinct source IPs
);

-- name: per_type
CREATE TABLE @{table} (@{column_defs});

-- name: add_column
ALTER TABLE @{table} ADD COLUMN @{column} @{type};

-- name: add_columns
-- Many columns at once (columns.py add_columns): the table made again with them, NULL, after its own
-- columns, its rows in their order; one pass over the table instead of an ALTER TABLE per column.
CREATE OR REPLACE TABLE @{table} AS SELECT *, @{columns} FROM @{table};

-- name: row_count
SELECT count(*) FROM @{table};

-- name: exists
SELECT count(*) FROM duckdb_tables()
WHERE database_name = current_database() AND schema_name = $schema AND table_name = $table;

-- name: columns
SELECT column_name, data_type FROM duckdb_columns()
WHERE database_name = current_database() AND schema_name = $schema AND table_name = $table
ORDER BY column_index;

-- name: published
-- The tables and views readers get: everything in the four public schemas.
SELECT schema_name, table_name, false AS is_view FROM duckdb_tables()
WHERE database_name = current_database() AND schema_name IN ('forcepoint', 'aperture', 'analytics', 'ocsf', 'ops')
UNION ALL
SELECT schema_name, view_name, true FROM duckdb_views()
WHERE database_name = current_database() AND schema_name IN ('forcepoint', 'aperture', 'analytics', 'ocsf') AND NOT internal
ORDER BY ALL;

-- name: copied
-- Tables copied whole into the views file (publish.COPIED_TABLES: `schema.table` or `schema.*`).
SELECT schema_name, table_name FROM duckdb_tables()
WHERE database_name = coalesce($database, current_database())
  AND (list_contains($wanted, schema_name || '.' || table_name) OR list_contains($wanted, schema_name || '.*'))
ORDER BY ALL;

-- name: view_sql
SELECT sql FROM duckdb_views()
WHERE database_name = current_database() AND schema_name = $schema AND view_name = $view;

-- name: drop
DROP TABLE IF EXISTS @{table};

-- name: events_view
-- analytics.events is a view over the per-type tables: a row per row of them by construction, and
-- no second copy of raw. user_key of a record with a name and no e-mail is the address the name
-- resolves to (_warehouse.identity_names, learned from the records that carry both: sql/identities.sql),
-- read when the view is read, so a pair learned later keys the earlier days' records too.
CREATE OR REPLACE VIEW @{table} AS
SELECT e.* REPLACE (coalesce(n.user_key, e.user_key) AS user_key)
FROM (
@{body}
) e
LEFT JOIN _warehouse.identity_names n ON n.name_key = CASE WHEN e.user_email IS NULL THEN e.user_key END;

-- name: events_source
-- One per-type table in the events shape, with only the columns its mapping provides.
SELECT event_time, event_day, vendor, log_type, event_id, raw,
@{mapping}
FROM @{table}

-- name: events_branch
SELECT @{shape}
FROM (
SELECT @{columns}
FROM (
@{source}
)
)

-- name: events_dlp_class
-- event_class of a type whose DLP hits are marked by a field (catalog Events.dlp_field): 'dlp' when
-- the field holds a match, else the type's class.
CASE WHEN coalesce(trim(@{field}), '') IN ('', '[]', '{}') OR trim(@{field}) IN ('null', 'None', 'NULL')
     THEN @{otherwise}
     ELSE 'dlp' END

-- name: events_column
CAST(@{value} AS @{type}) AS @{name}

-- name: events_text_column
-- A text column: trimmed, and NULL for an empty value ('', '[]', '{}', 'None', 'null', 'NULL').
-- Two IN lists of three, never one of six: DuckDB plans an IN list of five or more constants as a
-- MARK join against them, and a join stays in the plan when its column is not read, so every query
-- over analytics.events would compute every text column of every row (SELECT max(event_time) read
-- them all). At most four constants stay an expression, computed only when the column is read.
CASE WHEN trim(CAST(@{value} AS VARCHAR)) IN ('', '[]', '{}')
       OR trim(CAST(@{value} AS VARCHAR)) IN ('None', 'null', 'NULL') THEN NULL
     ELSE trim(CAST(@{value} AS VARCHAR)) END AS @{name}

-- name: events_shape
-- The same for every log type, after its mapping (sql/events.sql):
-- user_email: the mapped address, else user_name when that is an e-mail address (contains '@').
-- user_key: lower-cased user_email, else lower-cased user_name: one person is one key across vendors
--   (events_view then keys a name without an e-mail on the address it resolves to).
-- disposition, from the action's words (a comma list is read whole): blocked if any says block /
--   deny / reject / drop / quarantine; else alerted if any says alert / notify / warn / coach /
--   challenge; else allowed if any says allow / permit / pass / accept; else other; NULL without
--   an action. So "Alert, Blocked, DLP, Notify" is blocked.
-- domain: the mapped domain (requestdomain), else the host of url; lower case.
event_time, event_day, vendor, log_type, event_class,
user_name,
coalesce(user_email, CASE WHEN user_name LIKE '%_@_%' THEN user_name END) AS user_email,
lower(coalesce(user_email, CASE WHEN user_name LIKE '%_@_%' THEN user_name END, user_name)) AS user_key,
src_ip, app_name, "action", activity_name,
@{disposition} AS disposition,
object_name, url,
lower(coalesce(
    domain,
    nullif(regexp_extract(url, '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/?#]*@)?([^/:?#]+)', 1), ''),
    nullif(regexp_extract(url, '^([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)(?:[:/?#]|$)', 1), '')
)) AS domain,
category, upper(http_method) AS http_method, response_code, severity, bytes_out, bytes_in, event_id, raw

-- name: disposition
-- The outcome of an action, for analytics.events and the incidents' filter alike.
CASE WHEN @{value} IS NULL THEN NULL
     WHEN regexp_matches(lower(@{value}),
          '\b(block|blocked|blocking|deny|denied|reject|rejected|drop|dropped|quarantine|quarantined)\b')
          THEN 'blocked'
     WHEN regexp_matches(lower(@{value}),
          '\b(alert|alerted|notify|notified|notifyadmin|notifyowner|notification|warn|warned|coach|coached|challenge|challenged)\b')
          THEN 'alerted'
     WHEN regexp_matches(lower(@{value}), '\b(allow|allowed|permit|permitted|pass|passed|accept|accepted)\b')
          THEN 'allowed'
     ELSE 'other' END
