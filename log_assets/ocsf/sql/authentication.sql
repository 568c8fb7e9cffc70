-- Authentication (3002): sign-ins and sign-outs of Forcepoint access and admin records, Aperture
-- activity monitoring and admin audit. Mapping field by field: docs/ocsf.md.

-- name: forcepoint.access
SELECT
    event_day,
    ocsf_metadata(vendor, log_type, event_id, "time", ingested_at, NULL) AS metadata,
    ocsf_ms(event_time) AS "time",
    CASE WHEN list_has_any(activity, ['Login']) THEN 1 ELSE 2 END AS activity_id,
    CASE WHEN list_has_any(activity, ['Login']) THEN 'Logon' ELSE 'Logoff' END AS activity_name,
    1 AS severity_id,
    ocsf_action_status(ocsf_joined("action")) AS status_id,
    ocsf_status_name(ocsf_action_status(ocsf_joined("action"))) AS status,
    ocsf_joined("action") AS status_detail,
    ocsf_text(details) AS message,
    coalesce(ocsf_user("user", email, 1), {'name': 'Unknown', 'email_addr': NULL, 'type_id': 0}) AS "user",
    {'name': coalesce(ocsf_text(instancename), ocsf_text(application), 'Unknown')} AS service,
    ocsf_device(
        ipaddress,
        deviceguid,
        ocsf_location(location_city, location_region, location_country_code, NULL, NULL),
        ocsf_user(NULL, NULL, 0)  -- the person is `user`
    ) AS src_endpoint,
    CASE WHEN ocsf_host(url) IS NOT NULL THEN {'hostname': ocsf_host(url), 'name': ocsf_text(application)} END
        AS dst_endpoint,
    CASE WHEN coalesce(ocsf_text(url), ocsf_text(useragent)) IS NOT NULL THEN {
        'url': CASE WHEN ocsf_text(url) IS NOT NULL THEN {'url_string': ocsf_text(url), 'hostname': ocsf_host(url)} END,
        'user_agent': ocsf_text(useragent),
        'uid': ocsf_text(transactionid)
    } END AS http_request,
    ocsf_observables([
        ocsf_obs('src_endpoint.ip', 2, ocsf_ip(ipaddress)),
        ocsf_obs('user.name', 4, coalesce(ocsf_text("user"), ocsf_text(email))),
        ocsf_obs('user.email_addr', 5, ocsf_email(email))
    ]) AS observables,
    {
        'transactionid': ocsf_text(transactionid),
        'application': ocsf_text(application),
        'activity': ocsf_joined(activity),
        'policyid': ocsf_text(policyid),
        'usergroup': ocsf_joined(usergroup),
        'device': ocsf_text(device),
        'location': ocsf_text("location"),
        'pagetitle': ocsf_text(pagetitle),
        'orgid': ocsf_text(orgid)
    } AS unmapped
FROM @{table}
WHERE @{day_filter} AND ocsf_route_access(dlppattern, activity) = 'authentication'

-- name: forcepoint.admin
SELECT
    event_day,
    ocsf_metadata(vendor, log_type, event_id, "time", ingested_at, NULL) AS metadata,
    ocsf_ms(event_time) AS "time",
    CASE WHEN ocsf_text(activity) = 'Login' THEN 1 ELSE 2 END AS activity_id,
    CASE WHEN ocsf_text(activity) = 'Login' THEN 'Logon' ELSE 'Logoff' END AS activity_name,
    1 AS severity_id,
    ocsf_action_status("action") AS status_id,
    ocsf_status_name(ocsf_action_status("action")) AS status,
    ocsf_text("action") AS status_detail,
    ocsf_text(details) AS message,
    coalesce(ocsf_user("user", email, 2), {'name': 'Unknown', 'email_addr': NULL, 'type_id': 0}) AS "user",
    {'name': coalesce(ocsf_text(application), 'Forcepoint ONE SSE')} AS service,
    ocsf_device(
        ipaddress,
        deviceguid,
        ocsf_location(location_city, location_region, location_country_code, NULL, NULL),
        ocsf_user(NULL, NULL, 0)  -- the person is `user`
    ) AS src_endpoint,
    ocsf_admin_request(url, request, useragent, transactionid) AS http_request,
    ocsf_observables([
        ocsf_obs('src_endpoint.ip', 2, ocsf_ip(ipaddress)),
        ocsf_obs('user.name', 4, coalesce(ocsf_text("user"), ocsf_text(email))),
        ocsf_obs('user.email_addr', 5, ocsf_email(email))
    ]) AS observables,
    {
        'transactionid': ocsf_text(transactionid),
        'activity': ocsf_text(activity),
        'request': ocsf_text(request),
        'usergroup': ocsf_joined(usergroup),
        'device': ocsf_text(device),
        'location': ocsf_text("location"),
        'customlocation': ocsf_text(customlocation),
        'pagetitle': ocsf_text(pagetitle)
    } AS unmapped
FROM @{table}
WHERE @{day_filter} AND ocsf_route_admin(activity) = 'authentication'

-- name: aperture.activity_monitoring
SELECT
    event_day,
    ocsf_metadata(vendor, log_type, event_id, "timestamp", ingested_at, NULL) AS metadata,
    ocsf_ms(event_time) AS "time",
    ocsf_sign_in_activity("action") AS activity_id,
    CASE ocsf_sign_in_activity("action") WHEN 1 THEN 'Logon' ELSE 'Logoff' END AS activity_name,
    ocsf_aperture_severity(severity) AS severity_id,
    coalesce(ocsf_user("user", NULL, 1), {'name': 'Unknown', 'email_addr': NULL, 'type_id': 0}) AS "user",
    {'name': coalesce(ocsf_text(cloud_app_instance), 'Unknown')} AS service,
    CASE WHEN ocsf_ip(source_ip) IS NOT NULL THEN {
        'ip': ocsf_ip(source_ip),
        'location': ocsf_location(split_part(ocsf_text("location"), ', ', 1), NULL, NULL, NULL, NULL)
    } END AS src_endpoint,
    ocsf_observables([
        ocsf_obs('src_endpoint.ip', 2, ocsf_ip(source_ip)),
        ocsf_obs('user.name', 4, "user"),
        ocsf_obs('user.email_addr', 5, ocsf_email("user"))
    ]) AS observables,
    {
        'action': ocsf_text("action"),
        'serial': ocsf_text(serial),
        'item_type': ocsf_text(item_type),
        'item_name': ocsf_text(item_name),
        'item_unique_id': ocsf_text(item_unique_id),
        'target_name': ocsf_text(target_name),
        'target_type': ocsf_text(target_type),
        'location': ocsf_text("location"),
        'severity': CAST(severity AS VARCHAR)
    } AS unmapped
FROM @{table}
WHERE @{day_filter} AND ocsf_route_activity_monitoring("action", item_type) = 'authentication'

-- name: aperture.admin_audit
SELECT
    event_day,
    ocsf_metadata(vendor, log_type, event_id, "timestamp", ingested_at, NULL) AS metadata,
    ocsf_ms(event_time) AS "time",
    ocsf_sign_in_activity("action") AS activity_id,
    CASE ocsf_sign_in_activity("action") WHEN 1 THEN 'Logon' ELSE 'Logoff' END AS activity_name,
    1 AS severity_id,
    coalesce(ocsf_user(admin_id, admin_id, 2), {'name': 'Unknown', 'email_addr': NULL, 'type_id': 0}) AS "user",
    {'name': 'Data Security (Aperture) admin console'} AS service,
    CASE WHEN ocsf_ip(ip) IS NOT NULL THEN {'ip': ocsf_ip(ip)} END AS src_endpoint,
    ocsf_observables([
        ocsf_obs('src_endpoint.ip', 2, ocsf_ip(ip)),
        ocsf_obs('user.name', 4, admin_id),
        ocsf_obs('user.email_addr', 5, ocsf_email(admin_id))
    ]) AS observables,
    {
        'action': ocsf_text("action"),
        'serial': ocsf_text(serial),
        'admin_role': ocsf_text(admin_role),
        'event_type': ocsf_text(event_type),
        'item_type': ocsf_text(item_type),
        'item_name': ocsf_text(item_name),
        'field': ocsf_text(field)
    } AS unmapped
FROM @{table}
WHERE @{day_filter} AND ocsf_route_admin_audit("action", event_type) = 'authentication'
