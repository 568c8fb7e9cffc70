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
    first_seen TIMESTAMPTZ NOT NULL,
    last_seen TIMESTAMPTZ NOT NULL,
    last_edited TIMESTAMPTZ,            -- Aperture datetime_edited of the latest incident record
    severity DOUBLE,
    status VARCHAR NOT NULL,            -- open | remediated (Aperture), detected (Forcepoint)
    user_name VARCHAR,
    user_email VARCHAR,
    app_name VARCHAR,
    object_name VARCHAR,
    policy VARCHAR,                     -- Aperture policy rule; Forcepoint matched DLP pattern
    action VARCHAR,                     -- action taken on the violation / by the DLP policy
    exposure VARCHAR,
    violations BIGINT,
    remediation_action VARCHAR,
    remediated_by VARCHAR,
    remediated_at TIMESTAMPTZ,
    time_to_remediate INTERVAL,         -- remediated_at - first_seen
    event_id VARCHAR NOT NULL           -- the record the row's attributes come from
);

-- name: analytics.activity_daily
CREATE TABLE @{table} (
    event_day DATE NOT NULL,            -- UTC day
    vendor VARCHAR NOT NULL,
    user_name VARCHAR,
    user_email VARCHAR,
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
-- The tables and views readers get: everything in the three public schemas.
SELECT schema_name, table_name, false AS is_view FROM duckdb_tables()
WHERE database_name = current_database() AND schema_name IN ('forcepoint', 'aperture', 'analytics')
UNION ALL
SELECT schema_name, view_name, true FROM duckdb_views()
WHERE database_name = current_database() AND schema_name IN ('forcepoint', 'aperture', 'analytics') AND NOT internal
ORDER BY ALL;

-- name: view_sql
SELECT sql FROM duckdb_views()
WHERE database_name = current_database() AND schema_name = $schema AND view_name = $view;

-- name: drop
DROP TABLE IF EXISTS @{table};

-- name: events_view
-- analytics.events is a view over the per-type tables: a row per row of them by construction, and
-- no second copy of raw.
CREATE OR REPLACE VIEW @{table} AS
@{body};

-- name: events_source
-- One per-type table in the events shape, with only the columns its mapping provides.
SELECT event_time AS "time", event_day, vendor, log_type, event_id, raw,
@{mapping}
FROM @{table}

-- name: events_branch
SELECT @{columns}
FROM (
@{source}
)

-- name: events_column
CAST(@{value} AS @{type}) AS @{name}
