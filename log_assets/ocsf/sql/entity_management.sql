-- Entity Management (3004): what administrators changed (Forcepoint admin, Aperture admin audit,
-- sign-ins aside) and Aperture activity on user items. Mapping field by field: docs/ocsf.md.

-- name: forcepoint.admin
SELECT
    event_day,
    ocsf_metadata(vendor, log_type, event_id, "time", ingested_at, NULL) AS metadata,
    ocsf_ms(event_time) AS "time",
    CASE
        WHEN regexp_matches(lower(ocsf_text(activity)), 'add|creat|new') THEN 1
        WHEN regexp_matches(lower(ocsf_text(activity)), 'export|view|read') THEN 2
        WHEN regexp_matches(lower(ocsf_text(activity)), 'change|edit|update') THEN 3
        WHEN regexp_matches(lower(ocsf_text(activity)), 'delet|remov') THEN 4
        WHEN ocsf_text(activity) IS NULL THEN 0
        ELSE 99 END AS activity_id,
    coalesce(ocsf_text(activity), 'Unknown') AS activity_name,
    1 AS severity_id,
    ocsf_action_status("action") AS status_id,
    ocsf_status_name(ocsf_action_status("action")) AS status,
    ocsf_text("action") AS status_detail,
    ocsf_text(details) AS message,
    {
        'name': coalesce(ocsf_text(url), split_part(ocsf_text(request), ' ', 2), ocsf_text(activity), 'Unknown'),
        'type': CASE
            WHEN regexp_matches(lower(ocsf_text(activity)), 'polic') THEN 'Policy'
            WHEN regexp_matches(lower(ocsf_text(activity)), 'user') THEN 'User'
            WHEN regexp_matches(lower(ocsf_text(activity)), 'group') THEN 'Group'
            ELSE ocsf_text(activity) END,
        'type_id': CASE
            WHEN regexp_matches(lower(ocsf_text(activity)), 'polic') THEN 5
            WHEN regexp_matches(lower(ocsf_text(activity)), 'user') THEN 2
            WHEN regexp_matches(lower(ocsf_text(activity)), 'group') THEN 3
            WHEN ocsf_text(activity) IS NULL THEN 0
            ELSE 99 END
    } AS entity,
    ocsf_device(
        ipaddress,
        deviceguid,
        ocsf_location(location_city, location_region, location_country_code, NULL, NULL),
        ocsf_user("user", email, 2)
    ) AS src_endpoint,
    ocsf_admin_request(url, request, useragent, transactionid) AS http_request,
    ocsf_observables([
        ocsf_obs('src_endpoint.ip', 2, ocsf_ip(ipaddress)),
        ocsf_obs('src_endpoint.owner.name', 4, coalesce(ocsf_text("user"), ocsf_text(email))),
        ocsf_obs('src_endpoint.owner.email_addr', 5, ocsf_email(email))
    ]) AS observables,
    {
        'activity': ocsf_text(activity),
        'transactionid': ocsf_text(transactionid),
        'user': ocsf_text("user"),
        'email': ocsf_text(email),
        'application': ocsf_text(application),
        'request': ocsf_text(request),
        'usergroup': ocsf_joined(usergroup),
        'device': ocsf_text(device),
        'location': ocsf_text("location"),
        'customlocation': ocsf_text(customlocation),
        'pagetitle': ocsf_text(pagetitle)
    } AS unmapped
FROM @{table}
WHERE @{day_filter} AND ocsf_route_admin(activity) = 'entity_management'

-- name: aperture.admin_audit
SELECT
    event_day,
    ocsf_metadata(vendor, log_type, event_id, "timestamp", ingested_at, NULL) AS metadata,
    ocsf_ms(event_time) AS "time",
    CASE lower(ocsf_text("action"))
        WHEN 'create' THEN 1 WHEN 'add' THEN 1 WHEN 'view' THEN 2 WHEN 'read' THEN 2
        WHEN 'edit' THEN 3 WHEN 'update' THEN 3 WHEN 'delete' THEN 4 WHEN 'remove' THEN 4
        WHEN 'enable' THEN 8 WHEN 'disable' THEN 9
        ELSE CASE WHEN ocsf_text("action") IS NULL THEN 0 ELSE 99 END END AS activity_id,
    coalesce(ocsf_text("action"), 'Unknown') AS activity_name,
    1 AS severity_id,
    {
        'name': coalesce(ocsf_text(item_name), ocsf_text(item_type), 'Unknown'),
        'type': ocsf_text(item_type),
        'type_id': CASE
            WHEN lower(ocsf_text(event_type)) = 'policy' OR regexp_matches(lower(ocsf_text(item_type)), 'polic') THEN 5
            WHEN lower(ocsf_text(item_type)) = 'user' THEN 2
            WHEN ocsf_text(item_type) IS NULL THEN 0
            ELSE 99 END,
        'data': CASE WHEN coalesce(ocsf_text(field), ocsf_text(resource_value_old), ocsf_text(resource_value_new)) IS NOT NULL THEN {
            'field': ocsf_text(field),
            'old_value': ocsf_text(resource_value_old),
            'new_value': ocsf_text(resource_value_new)
        } END
    } AS entity,
    CASE WHEN ocsf_ip(ip) IS NOT NULL THEN {
        'ip': ocsf_ip(ip),
        'owner': ocsf_user(admin_id, admin_id, 2)
    } END AS src_endpoint,
    ocsf_observables([
        ocsf_obs('src_endpoint.ip', 2, ocsf_ip(ip)),
        ocsf_obs('src_endpoint.owner.name', 4, admin_id),
        ocsf_obs('src_endpoint.owner.email_addr', 5, ocsf_email(admin_id))
    ]) AS observables,
    {
        'action': ocsf_text("action"),
        'serial': ocsf_text(serial),
        'admin_id': ocsf_text(admin_id),
        'admin_role': ocsf_text(admin_role),
        'event_type': ocsf_text(event_type)
    } AS unmapped
FROM @{table}
WHERE @{day_filter} AND ocsf_route_admin_audit("action", event_type) = 'entity_management'

-- name: aperture.activity_monitoring
SELECT
    event_day,
    ocsf_metadata(vendor, log_type, event_id, "timestamp", ingested_at, NULL) AS metadata,
    ocsf_ms(event_time) AS "time",
    CASE lower(ocsf_text("action"))
        WHEN 'create' THEN 1 WHEN 'view' THEN 2 WHEN 'edit' THEN 3 WHEN 'update' THEN 3
        WHEN 'delete' THEN 4 WHEN 'move' THEN 5
        ELSE CASE WHEN ocsf_text("action") IS NULL THEN 0 ELSE 99 END END AS activity_id,
    coalesce(ocsf_text("action"), 'Unknown') AS activity_name,
    ocsf_aperture_severity(severity) AS severity_id,
    {
        'name': coalesce(ocsf_text(item_name), ocsf_text(item_unique_id), 'Unknown'),
        'uid': ocsf_text(item_unique_id),
        'type': ocsf_text(item_type),
        'type_id': 2,
        'user': ocsf_user(item_name, item_name, 0)
    } AS entity,
    CASE WHEN ocsf_ip(source_ip) IS NOT NULL THEN {
        'ip': ocsf_ip(source_ip),
        'location': ocsf_location(split_part(ocsf_text("location"), ', ', 1), NULL, NULL, NULL, NULL),
        'owner': ocsf_user("user", NULL, 1)
    } END AS src_endpoint,
    ocsf_observables([
        ocsf_obs('src_endpoint.ip', 2, ocsf_ip(source_ip)),
        ocsf_obs('src_endpoint.owner.name', 4, "user"),
        ocsf_obs('src_endpoint.owner.email_addr', 5, ocsf_email("user"))
    ]) AS observables,
    {
        'action': ocsf_text("action"),
        'user': ocsf_text("user"),
        'serial': ocsf_text(serial),
        'cloud_app_instance': ocsf_text(cloud_app_instance),
        'target_name': ocsf_text(target_name),
        'target_type': ocsf_text(target_type),
        'location': ocsf_text("location"),
        'severity': CAST(severity AS VARCHAR)
    } AS unmapped
FROM @{table}
WHERE @{day_filter} AND ocsf_route_activity_monitoring("action", item_type) = 'entity_management'
