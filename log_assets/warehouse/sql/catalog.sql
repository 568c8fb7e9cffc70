-- Publishing to the catalog: which (table, day) changed since the last publication.

-- name: set_export_days
CREATE OR REPLACE TEMP TABLE _export_days AS SELECT DISTINCT unnest($days::DATE[]) AS event_day;

-- name: table_days
SELECT DISTINCT event_day FROM @{table};

-- name: changed_days
SELECT DISTINCT table_name, event_day FROM _warehouse.changes WHERE seq > $since;
