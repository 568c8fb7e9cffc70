-- Publishing to the catalog: which (table, day) changed since the last publication.

-- name: table_days
SELECT DISTINCT event_day FROM @{table};

-- name: changed_days
SELECT DISTINCT table_name, event_day FROM _warehouse.changes WHERE seq > $since;
