-- analytics.events: one row per row of every per-type table, in one shape with OCSF-style names.
-- Most log types are mapped from their catalog entry (log_assets/catalog.py: Events, the vendor's
-- convention; warehouse/eventmap.py writes the SQL). A section here, named for a log type, replaces
-- that mapping where a type needs more than fields (a condition, a computed value); the `<vendor>.*`
-- sections map the log types the catalog does not know, from raw.
-- Each section maps one log type's columns to those names; a name a section leaves out is NULL.
-- Names: event_class, user_name, user_email, src_ip, app_name, action (what the policy / actor
-- did), activity_name (the user's activity), object_name (file, URL, item), url, domain, category,
-- http_method, response_code, severity (Aperture 0-5), bytes_out (uploaded), bytes_in (downloaded).
-- An IN list here has at most four constants (see tables.sql events_text_column).
-- List columns (VARCHAR[]) are joined with ', '. event_time, event_day, vendor, log_type, event_id
-- and raw come from every table as they are.
--
-- The shape every section goes through afterwards (tables.sql events_shape) trims every text value
-- and makes '', '[]', 'None' and 'null' NULL, takes the user's e-mail from user_name when that is an
-- address, derives user_key, disposition and (from url) domain. So a section only picks its sources.
--
-- event_class: activity (what a user did: access, swgweb, ztna, Aperture activity_monitoring),
-- dlp (a Forcepoint DLP hit: swgwebdlp, access with a dlppattern, cloudaudit with patterns: the
-- rows of analytics.incidents, but for swgwebdlp hits allowed through with no pattern, keyword or
-- threat indicator matched), file (cloud API scans and file status: cloudaudit without a
-- pattern, cloudsummary), incident (Aperture incident, policy_violation, remediation), admin
-- (Forcepoint admin, Aperture admin_audit), health (healthproxy, healthapi, healthsystem
-- telemetry), other (log types the catalog does not know, and cataloged ones whose entry names
-- no class).

-- name: forcepoint.cloudaudit
CASE WHEN coalesce(trim(patterns), '') IN ('', '[]', '{}') OR trim(patterns) IN ('null', 'None', 'NULL')
     THEN 'file'
     ELSE 'dlp' END AS event_class,
coalesce("user", actor) AS user_name,
coalesce(email, CASE WHEN actor LIKE '%_@_%' THEN actor END, owner) AS user_email,
actoripaddress AS src_ip, application AS app_name, "action", activity AS activity_name,
coalesce(filename, filelink) AS object_name, filelink AS url

-- name: forcepoint.swgweb
-- No user field in real records: the person is firstname + lastname (and email).
'activity' AS event_class, coalesce("user", concat_ws(' ', firstname, lastname)) AS user_name,
email AS user_email, ipaddress AS src_ip, application AS app_name, "action", requestmethod AS activity_name,
coalesce(url, requestdomain || uri, requestdomain) AS object_name, url, requestdomain AS domain,
coalesce(nullif(array_to_string(webcategories, ', '), ''), nullif(array_to_string(bgcategories, ', '), ''))
AS category,
requestmethod AS http_method, responsecode AS response_code, uploadedbytes AS bytes_out, size AS bytes_in

-- name: forcepoint.swgwebdlp
'dlp' AS event_class, coalesce("user", concat_ws(' ', firstname, lastname)) AS user_name,
email AS user_email, ipaddress AS src_ip, application AS app_name, "action",
array_to_string(activity, ', ') AS activity_name,
coalesce(filename[1], url, requestdomain || uri, requestdomain) AS object_name, url, requestdomain AS domain,
coalesce(nullif(array_to_string(webcategories, ', '), ''), nullif(array_to_string(bgcategories, ', '), ''))
AS category,
requestmethod AS http_method, uploadedbytes AS bytes_out, size AS bytes_in

-- name: aperture.*
-- A log type the catalog does not know: the usual Aperture fields, read from raw.
'other' AS event_class,
coalesce(nullif(try(json_extract_string(raw, '/user')), ''), nullif(try(json_extract_string(raw, '/item_owner')), ''),
         try(json_extract_string(raw, '/admin_id'))) AS user_name,
try(json_extract_string(raw, '/item_owner_email')) AS user_email,
coalesce(nullif(try(json_extract_string(raw, '/source_ip')), ''), try(json_extract_string(raw, '/ip'))) AS src_ip,
try(json_extract_string(raw, '/cloud_app_instance')) AS app_name,
coalesce(nullif(try(json_extract_string(raw, '/action')), ''), try(json_extract_string(raw, '/action_taken')))
AS action,
try(json_extract_string(raw, '/item_name')) AS object_name,
try(CAST(json_extract_string(raw, '/severity') AS DOUBLE)) AS severity

-- name: forcepoint.*
-- A log type the catalog does not know: the usual Forcepoint fields, read from raw.
'other' AS event_class,
coalesce(nullif(try(json_extract_string(raw, '/user')), ''), nullif(try(json_extract_string(raw, '/actor')), ''),
         nullif(concat_ws(' ', try(json_extract_string(raw, '/firstname')),
                          try(json_extract_string(raw, '/lastname'))), '')) AS user_name,
coalesce(nullif(try(json_extract_string(raw, '/email')), ''), try(json_extract_string(raw, '/owner'))) AS user_email,
coalesce(nullif(try(json_extract_string(raw, '/ipaddress')), ''), try(json_extract_string(raw, '/actoripaddress')))
AS src_ip,
try(json_extract_string(raw, '/application')) AS app_name,
try(json_extract_string(raw, '/action')) AS action,
try(json_extract_string(raw, '/activity')) AS activity_name,
coalesce(nullif(try(json_extract_string(raw, '/filename')), ''), try(json_extract_string(raw, '/url'))) AS object_name,
try(json_extract_string(raw, '/url')) AS url,
try(json_extract_string(raw, '/requestdomain')) AS domain,
coalesce(nullif(try(json_extract_string(raw, '/requestmethod')), ''), try(json_extract_string(raw, '/httpmethod')))
AS http_method
