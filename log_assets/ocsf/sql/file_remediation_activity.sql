-- File Remediation Activity (7002): Aperture remediations of an incident's file (1.8.0 has no
-- remediation class for a SaaS item but this one: Remediation Activity 7001 is about the
-- countermeasure alone, and Aperture's remediations act on a file). Mapping field by field: docs/ocsf.md.

-- name: aperture.remediation
SELECT
    event_day,
    ocsf_metadata(vendor, log_type, event_id, "timestamp", ingested_at, incident_id) AS metadata,
    ocsf_ms(event_time) AS "time",
    CASE
        WHEN regexp_matches(lower(ocsf_text(action_taken)), 'quarantin|isolat') THEN 1
        WHEN regexp_matches(lower(ocsf_text(action_taken)), 'delet|trash|evict') THEN 2
        WHEN regexp_matches(lower(ocsf_text(action_taken)), 'restor') THEN 3
        WHEN regexp_matches(lower(ocsf_text(action_taken)), 'shar|link|permission|access|privat') THEN 4
        WHEN ocsf_text(action_taken) IS NULL THEN 0
        ELSE 99 END AS activity_id,
    coalesce(ocsf_text(action_taken), 'Unknown') AS activity_name,
    1 AS severity_id,
    1 AS status_id,
    'Success' AS status,
    CAST(event_id AS VARCHAR) AS command_uid,
    {
        'name': coalesce(ocsf_text(item_name), ocsf_text(asset_id), 'Unknown'),
        'type_id': ocsf_file_type(item_type),
        'type': ocsf_text(item_type),
        'uid': ocsf_text(asset_id),
        'parent_folder': ocsf_text(container_name),
        'owner': ocsf_user(item_owner, item_owner_email, 1),
        'creator': ocsf_user(item_creator, item_creator_email, 1)
    } AS file,
    CASE WHEN ocsf_text(action_taken) IS NOT NULL THEN {'desc': ocsf_text(action_taken)} END AS remediation,
    ocsf_observables([
        ocsf_obs('file.name', 7, item_name),
        ocsf_obs('file.owner.email_addr', 5, ocsf_email(item_owner_email)),
        ocsf_obs('file.uid', 10, asset_id)
    ]) AS observables,
    {
        'incident_id': ocsf_text(incident_id),
        'serial': ocsf_text(serial),
        'cloud_app_instance': ocsf_text(cloud_app_instance),
        'policy_rule_name': ocsf_text(policy_rule_name),
        'action_taken_by': ocsf_text(action_taken_by)
    } AS unmapped
FROM @{table}
WHERE @{day_filter}
