-- Network Activity (4001): Forcepoint zero-trust network access (connections to private apps over
-- rdp, ssh, ...). Mapping field by field: docs/ocsf.md.

-- name: forcepoint.ztna
SELECT
    event_day,
    ocsf_metadata(vendor, log_type, event_id, "time", ingested_at, NULL) AS metadata,
    ocsf_ms(event_time) AS "time",
    CASE lower(ocsf_text(activity))
        WHEN 'connect' THEN 1 WHEN 'disconnect' THEN 2 WHEN 'denied' THEN 5 WHEN 'access' THEN 6
        ELSE CASE WHEN ocsf_text(activity) IS NULL THEN 0 ELSE 99 END END AS activity_id,
    CASE lower(ocsf_text(activity))
        WHEN 'connect' THEN 'Open' WHEN 'disconnect' THEN 'Close' WHEN 'denied' THEN 'Refuse'
        WHEN 'access' THEN 'Traffic' ELSE coalesce(ocsf_text(activity), 'Unknown') END AS activity_name,
    1 AS severity_id,
    ocsf_action_status("action") AS status_id,
    ocsf_status_name(ocsf_action_status("action")) AS status,
    ocsf_text("action") AS status_detail,
    lower(ocsf_text(protocol)) AS app_protocol_name,
    ocsf_device(
        ipaddress,
        deviceguid,
        ocsf_location(location_city, location_region, location_country_code, NULL, NULL),
        ocsf_user("user", email, 1)
    ) AS src_endpoint,
    CASE WHEN ocsf_text(application) IS NOT NULL THEN {
        'name': ocsf_text(application),
        'port': ocsf_port(requestport)
    } WHEN coalesce(ocsf_ip(ipaddress), ocsf_text(deviceguid)) IS NULL THEN {
        -- the class needs one of the two endpoints
        'name': 'Unknown'
    } END AS dst_endpoint,
    CASE WHEN ocsf_ip(gatewayip) IS NOT NULL THEN {'ip': ocsf_ip(gatewayip)} END AS proxy,
    CASE WHEN coalesce(uploadedbytes, size) IS NOT NULL THEN {
        'bytes_out': CAST(uploadedbytes AS BIGINT), 'bytes_in': CAST(size AS BIGINT)
    } END AS traffic,
    ocsf_observables([
        ocsf_obs('src_endpoint.ip', 2, ocsf_ip(ipaddress)),
        ocsf_obs('src_endpoint.owner.name', 4, coalesce(ocsf_text("user"), ocsf_text(email))),
        ocsf_obs('src_endpoint.owner.email_addr', 5, ocsf_email(email)),
        ocsf_obs('proxy.ip', 2, ocsf_ip(gatewayip))
    ]) AS observables,
    {
        'activity': ocsf_text(activity),
        'transactionid': ocsf_text(transactionid),
        'policyid': ocsf_text(policyid),
        'usergroup': ocsf_joined(usergroup),
        'connectorname': ocsf_text(connectorname),
        'device': ocsf_text(device),
        'location': ocsf_text("location")
    } AS unmapped
FROM @{table}
WHERE @{day_filter}
