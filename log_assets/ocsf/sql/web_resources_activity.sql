-- Web Resources Activity (6001): Forcepoint access (proxy) records that are neither a DLP hit
-- (data_security_finding) nor a sign-in (authentication). Mapping field by field: docs/ocsf.md.

-- name: forcepoint.access
SELECT
    event_day,
    ocsf_metadata(vendor, log_type, event_id, "time", ingested_at, NULL) AS metadata,
    ocsf_ms(event_time) AS "time",
    CASE
        WHEN list_has_any(activity, ['Uploaded', 'Upload']) THEN 6
        WHEN list_has_any(activity, ['Downloaded', 'Download']) THEN 7
        WHEN list_has_any(activity, ['Edit']) THEN 3
        WHEN list_has_any(activity, ['Delete', 'Deleted']) THEN 4
        WHEN list_has_any(activity, ['Share', 'Shared']) THEN 8
        WHEN list_has_any(activity, ['Search']) THEN 5
        WHEN list_has_any(activity, ['Access', 'Files', 'Report', 'View']) THEN 2
        WHEN ocsf_texts(activity) IS NULL THEN 0
        ELSE 99 END AS activity_id,
    coalesce(ocsf_joined(activity), 'Unknown') AS activity_name,
    1 AS severity_id,
    ocsf_action_status(ocsf_joined("action")) AS status_id,
    ocsf_status_name(ocsf_action_status(ocsf_joined("action"))) AS status,
    ocsf_joined("action") AS status_detail,
    ocsf_text(details) AS message,
    [{
        'name': coalesce(ocsf_text(filename), ocsf_text(pagetitle), ocsf_text(instancename),
                         ocsf_text(application), ocsf_host(url), ocsf_text(url), 'Unknown'),
        'type': CASE WHEN ocsf_text(filename) IS NOT NULL THEN 'file'
                     WHEN ocsf_text(pagetitle) IS NOT NULL THEN 'page' ELSE 'application' END,
        'url_string': ocsf_text(url),
        'desc': ocsf_text(instancename)
    }] AS web_resources,
    CASE WHEN coalesce(ocsf_text(url), ocsf_text(request), ocsf_text(useragent)) IS NOT NULL THEN {
        'url': CASE WHEN coalesce(ocsf_text(url), ocsf_text(request)) IS NOT NULL THEN {
            'url_string': ocsf_text(url),
            'hostname': ocsf_host(url),
            'path': ocsf_text(request)
        } END,
        'http_method': ocsf_http_method(httpmethod),
        'user_agent': ocsf_text(useragent),
        'uid': ocsf_text(transactionid)
    } END AS http_request,
    CASE WHEN TRY_CAST(responsecode AS INTEGER) IS NOT NULL THEN {'code': TRY_CAST(responsecode AS INTEGER)} END AS http_response,
    ocsf_device(
        ipaddress,
        deviceguid,
        ocsf_location(location_city, location_region, location_country_code, NULL, NULL),
        ocsf_user("user", email, 1)
    ) AS src_endpoint,
    CASE WHEN ocsf_host(url) IS NOT NULL THEN {
        'hostname': ocsf_host(url), 'name': ocsf_text(application)
    } END AS dst_endpoint,
    ocsf_observables([
        ocsf_obs('src_endpoint.ip', 2, ocsf_ip(ipaddress)),
        ocsf_obs('src_endpoint.owner.name', 4, coalesce(ocsf_text("user"), ocsf_text(email))),
        ocsf_obs('src_endpoint.owner.email_addr', 5, ocsf_email(email)),
        ocsf_obs('http_request.url.url_string', 6, url),
        ocsf_obs('web_resources.name', 7, filename)
    ]) AS observables,
    {
        'activity': ocsf_joined(activity),
        'transactionid': ocsf_text(transactionid),
        'application': ocsf_text(application),
        'action': ocsf_joined("action"),
        'policyid': ocsf_text(policyid),
        'usergroup': ocsf_joined(usergroup),
        'device': ocsf_text(device),
        'location': ocsf_text("location"),
        'customlocation': ocsf_text(customlocation),
        'city': ocsf_text(city),
        'emailfrom': ocsf_text(emailfrom),
        'emailto': ocsf_text(emailto),
        'emailcc': ocsf_text(emailcc),
        'emailbcc': ocsf_text(emailbcc),
        'emailsubject': ocsf_text(emailsubject),
        'emailsenttime': CAST(emailsenttime AS VARCHAR),
        'attachments': ocsf_text(attachments),
        'orgid': ocsf_text(orgid)
    } AS unmapped
FROM @{table}
WHERE @{day_filter} AND ocsf_route_access(dlppattern, activity) = 'web_resources_activity'
