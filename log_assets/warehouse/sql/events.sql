-- analytics.events: one row per row of every per-type table, in one shape with OCSF-style names.
-- Each section maps one log type's columns to those names; a name a section leaves out is NULL.
-- Names: user_name, user_email, src_ip, app_name, action (what the policy / actor did),
-- activity_name (the user's activity), object_name (file, URL, item), severity (Aperture 0-5),
-- bytes_out (uploaded), bytes_in (downloaded). time, event_day, vendor, log_type, event_id and raw
-- come from every table as they are.

-- name: forcepoint.access
"user" AS user_name, email AS user_email, ipaddress AS src_ip, application AS app_name, action,
activity AS activity_name,
coalesce(nullif(filename, ''), nullif(emailsubject, ''), nullif(url, '')) AS object_name

-- name: forcepoint.admin
"user" AS user_name, email AS user_email, ipaddress AS src_ip, application AS app_name, action,
activity AS activity_name, nullif(request, '') AS object_name

-- name: forcepoint.cloudaudit
coalesce(nullif("user", ''), actor) AS user_name, email AS user_email, actoripaddress AS src_ip,
application AS app_name, action, activity AS activity_name, filename AS object_name

-- name: forcepoint.cloudsummary
"user" AS user_name, coalesce(nullif(email, ''), owner) AS user_email, application AS app_name, action,
filename AS object_name

-- name: forcepoint.swgweb
"user" AS user_name, email AS user_email, ipaddress AS src_ip, application AS app_name, action,
requestmethod AS activity_name, url AS object_name, uploadedbytes AS bytes_out, size AS bytes_in

-- name: forcepoint.swgwebdlp
"user" AS user_name, email AS user_email, ipaddress AS src_ip, application AS app_name, action,
activity AS activity_name, coalesce(nullif(filename, ''), url) AS object_name,
uploadedbytes AS bytes_out, size AS bytes_in

-- name: forcepoint.healthproxy
"user" AS user_name, email AS user_email, ipaddress AS src_ip, application AS app_name, action,
httpmethod AS activity_name, url AS object_name

-- name: forcepoint.healthapi
email AS user_email, application AS app_name, action, activity AS activity_name, apiendpoint AS object_name

-- name: forcepoint.healthsystem
application AS app_name, action, component AS object_name

-- name: forcepoint.ztna
"user" AS user_name, email AS user_email, ipaddress AS src_ip, application AS app_name, action,
activity AS activity_name, uploadedbytes AS bytes_out, size AS bytes_in

-- name: aperture.activity_monitoring
-- Aperture's action is what the user did: it is both the action and the activity.
"user" AS user_name, source_ip AS src_ip, cloud_app_instance AS app_name, action, action AS activity_name,
item_name AS object_name

-- name: aperture.incident
item_owner AS user_name, item_owner_email AS user_email, cloud_app_instance AS app_name,
item_name AS object_name, severity

-- name: aperture.remediation
item_owner AS user_name, item_owner_email AS user_email, cloud_app_instance AS app_name,
action_taken AS action, item_name AS object_name

-- name: aperture.policy_violation
item_owner AS user_name, item_owner_email AS user_email, cloud_app_instance AS app_name,
action_taken AS action, item_name AS object_name, severity

-- name: aperture.admin_audit
admin_id AS user_name, CASE WHEN admin_id LIKE '%@%' THEN admin_id END AS user_email, ip AS src_ip,
action, event_type AS activity_name, item_name AS object_name

-- name: aperture.*
-- A log type the catalog does not know: the usual Aperture fields, read from raw.
coalesce(try(json_extract_string(raw, '/user')), try(json_extract_string(raw, '/item_owner')),
         try(json_extract_string(raw, '/admin_id'))) AS user_name,
try(json_extract_string(raw, '/item_owner_email')) AS user_email,
coalesce(try(json_extract_string(raw, '/source_ip')), try(json_extract_string(raw, '/ip'))) AS src_ip,
try(json_extract_string(raw, '/cloud_app_instance')) AS app_name,
coalesce(try(json_extract_string(raw, '/action')), try(json_extract_string(raw, '/action_taken'))) AS action,
try(json_extract_string(raw, '/item_name')) AS object_name,
try(CAST(json_extract_string(raw, '/severity') AS DOUBLE)) AS severity

-- name: forcepoint.*
-- A log type the catalog does not know: the usual Forcepoint fields, read from raw.
try(json_extract_string(raw, '/user')) AS user_name,
try(json_extract_string(raw, '/email')) AS user_email,
try(json_extract_string(raw, '/ipaddress')) AS src_ip,
try(json_extract_string(raw, '/application')) AS app_name,
try(json_extract_string(raw, '/action')) AS action,
try(json_extract_string(raw, '/activity')) AS activity_name,
coalesce(try(json_extract_string(raw, '/filename')), try(json_extract_string(raw, '/url'))) AS object_name
