-- File Hosting Activity (6006): Aperture activity on files and folders in monitored cloud apps, and
-- Forcepoint cloudaudit scans without a DLP hit (the file activity the API scan saw). Mapping field
-- by field: docs/ocsf.md.

-- name: aperture.activity_monitoring
SELECT
    event_day,
    ocsf_metadata(vendor, log_type, event_id, "timestamp", ingested_at, NULL) AS metadata,
    ocsf_ms(event_time) AS "time",
    CASE lower(ocsf_text("action"))
        WHEN 'upload' THEN 1 WHEN 'download' THEN 2 WHEN 'edit' THEN 3 WHEN 'update' THEN 3
        WHEN 'delete' THEN 4 WHEN 'rename' THEN 5 WHEN 'copy' THEN 6 WHEN 'move' THEN 7
        WHEN 'restore' THEN 8 WHEN 'view' THEN 9 WHEN 'preview' THEN 9 WHEN 'lock' THEN 10
        WHEN 'unlock' THEN 11 WHEN 'share' THEN 12 WHEN 'unshare' THEN 13 WHEN 'open' THEN 14
        ELSE CASE WHEN ocsf_text("action") IS NULL THEN 0 ELSE 99 END END AS activity_id,
    coalesce(ocsf_text("action"), 'Unknown') AS activity_name,
    ocsf_aperture_severity(severity) AS severity_id,
    {
        'user': ocsf_user("user", NULL, 1),
        'app_name': coalesce(ocsf_text(cloud_app_instance), 'Data Security (Aperture)')
    } AS actor,
    {
        'name': coalesce(ocsf_text(item_name), ocsf_text(target_name), ocsf_text(item_unique_id), 'Unknown'),
        'type_id': ocsf_file_type(item_type),
        'type': ocsf_text(item_type),
        'uid': ocsf_text(item_unique_id)
    } AS file,
    CASE WHEN ocsf_ip(source_ip) IS NOT NULL THEN {
        'ip': ocsf_ip(source_ip),
        'location': ocsf_location(split_part(ocsf_text("location"), ', ', 1), NULL, NULL, NULL, NULL)
    } ELSE {
        'svc_name': coalesce(ocsf_text(cloud_app_instance), 'Data Security (Aperture)'),
        'location': ocsf_location(split_part(ocsf_text("location"), ', ', 1), NULL, NULL, NULL, NULL)
    } END AS src_endpoint,
    CASE WHEN ocsf_text(cloud_app_instance) IS NOT NULL THEN {'svc_name': ocsf_text(cloud_app_instance)} END
        AS dst_endpoint,
    ocsf_observables([
        ocsf_obs('src_endpoint.ip', 2, ocsf_ip(source_ip)),
        ocsf_obs('actor.user.name', 4, "user"),
        ocsf_obs('actor.user.email_addr', 5, ocsf_email("user")),
        ocsf_obs('file.name', 7, coalesce(ocsf_text(item_name), ocsf_text(target_name)))
    ]) AS observables,
    {
        'action': ocsf_text("action"),
        'serial': ocsf_text(serial),
        'target_name': ocsf_text(target_name),
        'target_type': ocsf_text(target_type),
        'location': ocsf_text("location"),
        'severity': CAST(severity AS VARCHAR)
    } AS unmapped
FROM @{table}
WHERE @{day_filter} AND ocsf_route_activity_monitoring("action", item_type) = 'file_hosting'

-- name: forcepoint.cloudaudit
SELECT
    event_day,
    ocsf_metadata(vendor, log_type, event_id, "time", ingested_at, NULL) AS metadata,
    ocsf_ms(event_time) AS "time",
    CASE lower(ocsf_text(activity))
        WHEN 'upload' THEN 1 WHEN 'download' THEN 2 WHEN 'edit' THEN 3 WHEN 'delete' THEN 4
        WHEN 'rename' THEN 5 WHEN 'create copy' THEN 6 WHEN 'copy' THEN 6 WHEN 'move' THEN 7
        WHEN 'restore' THEN 8 WHEN 'share' THEN 12 WHEN 'unshare' THEN 13
        ELSE CASE WHEN ocsf_text(activity) IS NULL THEN 0 ELSE 99 END END AS activity_id,
    coalesce(ocsf_text(activity), 'Unknown') AS activity_name,
    1 AS severity_id,
    {
        'user': ocsf_user(coalesce(ocsf_text(actor), ocsf_text("user"), ocsf_text(owner)),
                          coalesce(ocsf_email(actor), ocsf_email(email), ocsf_email(owner)), 1),
        'app_name': coalesce(ocsf_text(application), 'Forcepoint ONE SSE')
    } AS actor,
    {
        'name': coalesce(ocsf_text(filename), ocsf_text(fileid), 'Unknown'),
        'type_id': 1,
        'uid': ocsf_text(fileid),
        'size': CAST(size AS BIGINT),
        'parent_folder': ocsf_text(folder),
        'uri': ocsf_text(filelink),
        'created_time': ocsf_ms(createdtime),
        'modified_time': ocsf_ms(modifiedtime),
        'owner': ocsf_user(owner, owner, 1)
    } AS file,
    CASE WHEN ocsf_ip(actoripaddress) IS NOT NULL THEN {'ip': ocsf_ip(actoripaddress)}
         ELSE {'svc_name': coalesce(ocsf_text(application), 'Forcepoint ONE SSE')} END AS src_endpoint,
    CASE WHEN ocsf_text(application) IS NOT NULL THEN {'svc_name': ocsf_text(application)} END AS dst_endpoint,
    ocsf_observables([
        ocsf_obs('file.name', 7, filename),
        ocsf_obs('file.owner.email_addr', 5, ocsf_email(owner)),
        ocsf_obs('src_endpoint.ip', 2, ocsf_ip(actoripaddress))
    ]) AS observables,
    {
        'activity': ocsf_text(activity),
        'action': ocsf_text("action"),
        'instancename': ocsf_text(instancename),
        'enterprisename': ocsf_text(enterprisename),
        'status': ocsf_text(status),
        'sharedwith': ocsf_text(sharedwith),
        'copies': ocsf_text(copies),
        'policyid': ocsf_text(policyid),
        'orgid': ocsf_text(orgid)
    } AS unmapped
FROM @{table}
WHERE @{day_filter} AND ocsf_route_cloudaudit(patterns) = 'file_hosting'
