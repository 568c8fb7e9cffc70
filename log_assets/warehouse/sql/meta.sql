-- name: create
-- Bookkeeping of the build file. Nothing here is published except `loads`.
CREATE SCHEMA IF NOT EXISTS _warehouse;
CREATE SCHEMA IF NOT EXISTS forcepoint;
CREATE SCHEMA IF NOT EXISTS aperture;
CREATE SCHEMA IF NOT EXISTS analytics;

-- One row per write batch; its seq orders every change below.
CREATE TABLE IF NOT EXISTS _warehouse.batches (
    seq BIGINT NOT NULL,
    what VARCHAR NOT NULL,
    started_at TIMESTAMPTZ NOT NULL
);

-- Which (table, day) a batch rewrote. Consumers (derived tables, the catalog publication) keep a cursor into it.
CREATE TABLE IF NOT EXISTS _warehouse.changes (
    seq BIGINT NOT NULL,
    table_name VARCHAR NOT NULL,
    event_day DATE NOT NULL
);

-- Key values (fileid, incident_id) of rows a batch removed or added, for tables keyed by them downstream.
CREATE TABLE IF NOT EXISTS _warehouse.changed_keys (
    seq BIGINT NOT NULL,
    table_name VARCHAR NOT NULL,
    key VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS _warehouse.cursors (
    consumer VARCHAR NOT NULL,
    seq BIGINT NOT NULL,
    version VARCHAR
);

-- The lake snapshot each per-type table was last loaded from completely (every day changed up to it
-- loaded): the next load reads what changed after it. `loaded_days` counts the table's loads then.
CREATE TABLE IF NOT EXISTS _warehouse.lake_snapshots (
    table_name VARCHAR NOT NULL,
    snapshot_id BIGINT NOT NULL,
    loaded_days BIGINT NOT NULL
);

-- What each per-type table holds for each lake day: the lake files it was loaded from and the counts.
CREATE TABLE IF NOT EXISTS _warehouse.loads (
    table_name VARCHAR NOT NULL,
    vendor VARCHAR NOT NULL,
    log_type VARCHAR NOT NULL,
    event_day DATE NOT NULL,
    lake_files INTEGER NOT NULL,
    lake_signature VARCHAR NOT NULL,
    lake_rows BIGINT NOT NULL,
    rows BIGINT NOT NULL,
    max_event_time TIMESTAMPTZ,
    loaded_at TIMESTAMPTZ NOT NULL,
    seq BIGINT NOT NULL
);

-- Who the records of each day x vendor name (sql/identities.sql days): for analytics.identities.
CREATE TABLE IF NOT EXISTS _warehouse.identity_days (
    event_day DATE NOT NULL,
    vendor VARCHAR NOT NULL,
    name_key VARCHAR,                   -- lower-cased display name (NULL: none, or an e-mail address)
    email_key VARCHAR,                  -- lower-cased e-mail
    display_name VARCHAR,
    email VARCHAR,
    events BIGINT NOT NULL,
    first_seen TIMESTAMPTZ NOT NULL,
    last_seen TIMESTAMPTZ NOT NULL
);

-- The display names seen with an e-mail, and the address each resolves to (NULL: seen with several).
-- analytics.events and analytics.incidents key a record with only a name on it.
CREATE TABLE IF NOT EXISTS _warehouse.identity_names (
    name_key VARCHAR NOT NULL,
    user_key VARCHAR,
    emails BIGINT NOT NULL
);

-- The export bookkeeping of earlier versions (readers now get views over the published Iceberg
-- tables), and its cursor into the change log, which would keep every change forever.
DROP TABLE IF EXISTS _warehouse.exported;
DROP TABLE IF EXISTS _warehouse.exported_tables;
DROP TABLE IF EXISTS _warehouse.retired;
DELETE FROM _warehouse.cursors WHERE consumer = 'publish';

-- name: macros
-- Session helpers for the build SQL (never used in published views).
CREATE OR REPLACE TEMP MACRO utc_day(ts) AS CAST(timezone('UTC', ts) AS DATE);
-- Forcepoint sends "no pattern" as '', '[]' or a null-ish word.
CREATE OR REPLACE TEMP MACRO has_text(s) AS coalesce(trim(s), '') NOT IN ('', '[]', '{}', 'null', 'None', 'NULL');
-- The text trimmed, or NULL where it holds none (has_text).
CREATE OR REPLACE TEMP MACRO trimmed_text(s) AS CASE WHEN has_text(s) THEN trim(s) END;

-- name: next_seq
INSERT INTO _warehouse.batches
SELECT coalesce(max(seq), 0) + 1, $what, now() FROM _warehouse.batches
RETURNING seq;

-- name: cursor
SELECT seq, version FROM _warehouse.cursors WHERE consumer = $consumer;

-- name: drop_cursor
DELETE FROM _warehouse.cursors WHERE consumer = $consumer;

-- name: add_cursor
INSERT INTO _warehouse.cursors VALUES ($consumer, $seq, $version);

-- name: forget_consumed
-- Changes every consumer has seen are no longer needed.
DELETE FROM _warehouse.changes WHERE seq <= (SELECT min(seq) FROM _warehouse.cursors);
DELETE FROM _warehouse.changed_keys WHERE seq <= (SELECT min(seq) FROM _warehouse.cursors);

-- name: loaded_types
SELECT DISTINCT vendor, log_type FROM _warehouse.loads ORDER BY ALL;

-- name: set_variable
SET VARIABLE @{name} = $value;
