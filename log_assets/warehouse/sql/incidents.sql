-- analytics.incidents: one row per incident, from both vendors. Text values are trimmed and an
-- empty one ('', '[]', 'None', ...) is NULL (has_text); user_email falls back to user_name when that
-- is an e-mail address and user_key is derived as in analytics.events (sections aperture_shape,
-- forcepoint_shape).

-- name: aperture
-- One row per Aperture incident_id (restricted by @{key_filter}): the latest incident record, the
-- policy violations and the first remediation. An id seen only in violations or remediations is
-- an incident too.
-- first_seen is the earliest incident or violation record: a remediation can be the first record of
-- an incident to arrive (its incident record expired from the queue, or came later), and that does
-- not make the incident older. Only for an id seen in remediations alone is it the first remediation
-- (then time_to_remediate is unknown: NULL). time_to_remediate is never negative: a first
-- remediation before first_seen means the incident's start is unknown, so it is NULL.
-- policy_names: every distinct policy rule name the incident's records arrived with, sorted.
WITH
incident AS (
    SELECT * FROM aperture.incident WHERE incident_id IS NOT NULL AND @{key_filter}
),
latest AS (
    SELECT * FROM incident
    QUALIFY row_number() OVER (PARTITION BY incident_id ORDER BY @{incident_order}) = 1
),
violation AS (
    SELECT * FROM aperture.policy_violation WHERE incident_id IS NOT NULL AND @{key_filter}
),
last_violation AS (
    SELECT * FROM violation
    QUALIFY row_number() OVER (PARTITION BY incident_id ORDER BY event_time DESC, ingested_at DESC, event_id DESC) = 1
),
violation_counts AS (
    SELECT incident_id, count(*) AS violations, max(severity) AS severity FROM violation GROUP BY incident_id
),
remediation AS (
    SELECT * FROM aperture.remediation WHERE incident_id IS NOT NULL AND @{key_filter}
),
first_remediation AS (
    SELECT * FROM remediation
    QUALIFY row_number() OVER (PARTITION BY incident_id ORDER BY event_time, ingested_at, event_id) = 1
),
records AS (
    SELECT incident_id, event_time, policy_rule_name, true AS detection FROM incident
    UNION ALL SELECT incident_id, event_time, policy_rule_name, true FROM violation
    UNION ALL SELECT incident_id, event_time, policy_rule_name, false FROM remediation
),
seen AS (
    SELECT incident_id,
           min(event_time) FILTER (WHERE detection) AS first_detected,
           min(event_time) AS first_record,
           max(event_time) AS last_seen,
           list_sort(list_distinct(list(trim(policy_rule_name)) FILTER (WHERE has_text(policy_rule_name))))
               AS policy_names
    FROM records
    GROUP BY incident_id
),
joined AS (
    SELECT
        'aperture' AS vendor,
        CASE WHEN l.incident_id IS NOT NULL THEN 'incident'
             WHEN v.incident_id IS NOT NULL THEN 'policy_violation'
             ELSE 'remediation' END AS log_type,
        s.incident_id,
        utc_day(coalesce(s.first_detected, s.first_record)) AS event_day,
        coalesce(s.first_detected, s.first_record) AS first_seen,
        s.last_seen,
        l.datetime_edited AS last_edited,
        coalesce(l.severity, c.severity) AS severity,
        CASE WHEN r.incident_id IS NOT NULL THEN 'remediated' ELSE 'open' END AS status,
        coalesce(trimmed_text(l.item_owner), trimmed_text(v.item_owner), trimmed_text(r.item_owner)) AS user_name,
        coalesce(trimmed_text(l.item_owner_email), trimmed_text(v.item_owner_email),
                 trimmed_text(r.item_owner_email)) AS user_email,
        coalesce(trimmed_text(l.cloud_app_instance), trimmed_text(v.cloud_app_instance),
                 trimmed_text(r.cloud_app_instance)) AS app_name,
        coalesce(trimmed_text(l.item_name), trimmed_text(v.item_name), trimmed_text(r.item_name)) AS object_name,
        CAST(NULL AS VARCHAR) AS domain,
        CASE WHEN len(s.policy_names) > 0 THEN s.policy_names END AS policy_names,
        trimmed_text(v.action_taken) AS action,
        CASE WHEN has_text(l.exposure) THEN lower(trim(l.exposure)) END AS exposure,  -- the API mixes case
        coalesce(c.violations, 0) AS violations,
        trimmed_text(r.action_taken) AS remediation_action,
        trimmed_text(r.action_taken_by) AS remediated_by,
        r.event_time AS remediated_at,
        CASE WHEN r.event_time >= s.first_detected THEN r.event_time - s.first_detected END AS time_to_remediate,
        coalesce(l.event_id, v.event_id, r.event_id) AS event_id
    FROM seen s
    LEFT JOIN latest l ON l.incident_id = s.incident_id
    LEFT JOIN last_violation v ON v.incident_id = s.incident_id
    LEFT JOIN violation_counts c ON c.incident_id = s.incident_id
    LEFT JOIN first_remediation r ON r.incident_id = s.incident_id
)
@{shape}
FROM joined

-- name: forcepoint
-- Forcepoint DLP hits on the days matching @{day_filter}, one incident per event: every swgwebdlp
-- record, and access / cloudaudit records that matched a DLP pattern. policy_names holds the
-- pattern(s): swgwebdlp's dlppattern list; access's dlppattern and cloudaudit's patterns (text) as one
-- element. object_name is the file (swgwebdlp: the first of its filename list), else the URL.
-- severity is NULL: Forcepoint records carry none and the vendor documents no mapping. violations is
-- NULL too: Forcepoint sends no violation records (0 would read as "no violation" on a DLP hit).
-- domain: requestdomain, else the host of the URL.
-- A hit that matched no pattern and was let through (no policy_names, disposition allowed: a
-- swgwebdlp record of a scanned transfer) is no incident: it stays in analytics.events only.
WITH hits AS (
    SELECT 'forcepoint' AS vendor, log_type, event_id AS incident_id, event_day,
           event_time AS first_seen, event_time AS last_seen, 'detected' AS status,
           CAST(NULL AS DOUBLE) AS severity, CAST(NULL AS BIGINT) AS violations,
           coalesce(trimmed_text("user"),
                    nullif(trim(concat_ws(' ', trim(firstname), trim(lastname))), '')) AS user_name,
           trimmed_text(email) AS user_email,
           trimmed_text(application) AS app_name,
           coalesce(trimmed_text(filename[1]),
                    trimmed_text(url),
                    CASE WHEN has_text(requestdomain) THEN trim(requestdomain) || coalesce(trim(uri), '') END)
               AS object_name,
           trimmed_text(requestdomain) AS domain, url,
           CASE WHEN len(list_filter(dlppattern, lambda p: has_text(p))) > 0
                THEN list_filter(dlppattern, lambda p: has_text(p)) END AS policy_names,
           -- a keyword or threat indicator the DLP rule matched: a finding, even one allowed through
           len(list_filter(keyword, lambda k: has_text(k))) > 0
               OR len(list_filter(threatindicator, lambda k: has_text(k))) > 0 AS matched,
           coalesce(trimmed_text(dlpaction),
                    trimmed_text("action")) AS action,
           event_id
    FROM forcepoint.swgwebdlp
    WHERE @{day_filter}
    UNION ALL BY NAME
    SELECT 'forcepoint' AS vendor, log_type, event_id AS incident_id, event_day,
           event_time AS first_seen, event_time AS last_seen, 'detected' AS status,
           CAST(NULL AS DOUBLE) AS severity,
           trimmed_text("user") AS user_name,
           trimmed_text(email) AS user_email,
           trimmed_text(application) AS app_name,
           coalesce(trimmed_text(filename), trimmed_text(emailsubject), trimmed_text(url)) AS object_name,
           CAST(NULL AS VARCHAR) AS domain, url,
           [trim(dlppattern)] AS policy_names,
           nullif(trim(array_to_string("action", ', ')), '') AS action,
           event_id
    FROM forcepoint.access
    WHERE has_text(dlppattern) AND @{day_filter}
    UNION ALL BY NAME
    SELECT 'forcepoint' AS vendor, log_type, event_id AS incident_id, event_day,
           event_time AS first_seen, event_time AS last_seen, 'detected' AS status,
           CAST(NULL AS DOUBLE) AS severity,
           coalesce(trimmed_text("user"),
                    trimmed_text(actor)) AS user_name,
           coalesce(trimmed_text(email),
                    CASE WHEN has_text(actor) AND actor LIKE '%_@_%' THEN trim(actor) END,
                    trimmed_text(owner)) AS user_email,
           trimmed_text(application) AS app_name,
           coalesce(trimmed_text(filename),
                    trimmed_text(filelink)) AS object_name,
           CAST(NULL AS VARCHAR) AS domain, filelink AS url,
           [trim(patterns)] AS policy_names,
           trimmed_text("action") AS action,
           event_id
    FROM forcepoint.cloudaudit
    WHERE has_text(patterns) AND @{day_filter}
)
@{shape}
FROM (
    SELECT * EXCLUDE (url, matched) REPLACE (
        lower(coalesce(
            domain,
            nullif(regexp_extract(url, '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/?#]*@)?([^/:?#]+)', 1), ''),
            nullif(regexp_extract(url, '^([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)(?:[:/?#]|$)', 1), '')
        )) AS domain
    )
    FROM hits
    WHERE policy_names IS NOT NULL OR matched IS TRUE OR (@{disposition}) IS DISTINCT FROM 'allowed'
)

-- name: shape
-- The same for both vendors: user_email from user_name when that is an e-mail address; user_key
-- as in analytics.events (the lower-cased e-mail, else the address the name resolves to, else the
-- lower-cased name: identities.sql resolve); policy as text.
SELECT * REPLACE (coalesce(user_email, CASE WHEN user_name LIKE '%_@_%' THEN user_name END) AS user_email),
       @{user_key} AS user_key,
       nullif(array_to_string(policy_names, ', '), '') AS policy

-- name: aperture_rows
vendor = 'aperture' AND @{key_filter}

-- name: forcepoint_rows
vendor = 'forcepoint' AND @{day_filter}

-- name: all
SELECT * FROM (
@{aperture}
)
UNION ALL BY NAME
SELECT * FROM (
@{forcepoint}
)
