-- analytics.incidents: one row per incident, from both vendors.

-- name: aperture
-- One row per Aperture incident_id (restricted by @{key_filter}): the latest incident record, the
-- policy violations and the first remediation. An id seen only in violations or remediations is
-- an incident too.
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
seen AS (
    SELECT incident_id, min(event_time) AS first_seen, max(event_time) AS last_seen
    FROM (
        SELECT incident_id, event_time FROM incident
        UNION ALL SELECT incident_id, event_time FROM violation
        UNION ALL SELECT incident_id, event_time FROM remediation
    )
    GROUP BY incident_id
)
SELECT
    'aperture' AS vendor,
    CASE WHEN l.incident_id IS NOT NULL THEN 'incident'
         WHEN v.incident_id IS NOT NULL THEN 'policy_violation'
         ELSE 'remediation' END AS log_type,
    s.incident_id,
    utc_day(s.first_seen) AS event_day,
    s.first_seen,
    s.last_seen,
    try_cast(trim(l.datetime_edited) AS TIMESTAMPTZ) AS last_edited,
    coalesce(l.severity, c.severity) AS severity,
    CASE WHEN r.incident_id IS NOT NULL THEN 'remediated' ELSE 'open' END AS status,
    coalesce(l.item_owner, v.item_owner, r.item_owner) AS user_name,
    coalesce(l.item_owner_email, v.item_owner_email, r.item_owner_email) AS user_email,
    coalesce(l.cloud_app_instance, v.cloud_app_instance, r.cloud_app_instance) AS app_name,
    coalesce(l.item_name, v.item_name, r.item_name) AS object_name,
    coalesce(l.policy_rule_name, v.policy_rule_name, r.policy_rule_name) AS policy,
    v.action_taken AS action,
    lower(trim(l.exposure)) AS exposure,  -- the API mixes case (PUBLIC, public, Public)
    coalesce(c.violations, 0) AS violations,
    r.action_taken AS remediation_action,
    r.action_taken_by AS remediated_by,
    r.event_time AS remediated_at,
    r.event_time - s.first_seen AS time_to_remediate,
    coalesce(l.event_id, v.event_id, r.event_id) AS event_id
FROM seen s
LEFT JOIN latest l ON l.incident_id = s.incident_id
LEFT JOIN last_violation v ON v.incident_id = s.incident_id
LEFT JOIN violation_counts c ON c.incident_id = s.incident_id
LEFT JOIN first_remediation r ON r.incident_id = s.incident_id

-- name: forcepoint
-- Forcepoint DLP hits on the days matching @{day_filter}, one incident per event: every swgwebdlp
-- record, and access / cloudaudit records that matched a DLP pattern.
SELECT 'forcepoint' AS vendor, log_type, event_id AS incident_id, event_day,
       event_time AS first_seen, event_time AS last_seen, 'detected' AS status,
       "user" AS user_name, email AS user_email, application AS app_name,
       coalesce(nullif(filename, ''), nullif(url, '')) AS object_name,
       dlppattern AS policy, coalesce(nullif(dlpaction, ''), action) AS action, event_id
FROM forcepoint.swgwebdlp
WHERE @{day_filter}
UNION ALL BY NAME
SELECT 'forcepoint' AS vendor, log_type, event_id AS incident_id, event_day,
       event_time AS first_seen, event_time AS last_seen, 'detected' AS status,
       "user" AS user_name, email AS user_email, application AS app_name,
       coalesce(nullif(filename, ''), nullif(emailsubject, ''), nullif(url, '')) AS object_name,
       dlppattern AS policy, action, event_id
FROM forcepoint.access
WHERE has_text(dlppattern) AND @{day_filter}
UNION ALL BY NAME
SELECT 'forcepoint' AS vendor, log_type, event_id AS incident_id, event_day,
       event_time AS first_seen, event_time AS last_seen, 'detected' AS status,
       coalesce(nullif("user", ''), actor) AS user_name, email AS user_email, application AS app_name,
       filename AS object_name, patterns AS policy, action, event_id
FROM forcepoint.cloudaudit
WHERE has_text(patterns) AND @{day_filter}

-- name: aperture_rows
vendor = 'aperture' AND @{key_filter}

-- name: forcepoint_rows
vendor = 'forcepoint' AND @{day_filter}

-- name: all
@{aperture}
UNION ALL BY NAME
@{forcepoint}
