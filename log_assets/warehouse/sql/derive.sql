-- Refreshing a derived table: the rows matching @{where} are replaced by @{select}. The days they
-- sat on before and after are logged, so that the exporter rewrites exactly those days.

-- name: pending_keys
CREATE OR REPLACE TEMP TABLE _keys AS
SELECT DISTINCT key FROM _warehouse.changed_keys WHERE seq > $since AND list_contains($tables, table_name);

-- name: pending_days
CREATE OR REPLACE TEMP TABLE _days AS
SELECT DISTINCT event_day FROM _warehouse.changes WHERE seq > $since AND list_contains($tables, table_name);

-- name: log_rows
INSERT INTO _warehouse.changes SELECT DISTINCT $seq, $table_name, event_day FROM @{table} WHERE @{where};

-- name: delete_rows
DELETE FROM @{table} WHERE @{where};

-- name: insert_rows
INSERT INTO @{table} BY NAME @{select};

-- name: key_filter
@{column} IN (SELECT key FROM @{keys})

-- name: day_filter
event_day IN (SELECT event_day FROM _days)
