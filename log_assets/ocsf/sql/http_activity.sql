-- HTTP Activity (4002): Forcepoint Secure Web Gateway web traffic. Mapping field by field: docs/ocsf.md.

-- name: forcepoint.swgweb
SELECT
    event_day,
    ocsf_metadata(vendor, log_type, event_id, "time", ingested_at, NULL) AS metadata,
    ocsf_ms(event_time) AS "time",
    CASE upper(ocsf_text(requestmethod))
        WHEN 'CONNECT' THEN 1 WHEN 'DELETE' THEN 2 WHEN 'GET' THEN 3 WHEN 'HEAD' THEN 4 WHEN 'OPTIONS' THEN 5
        WHEN 'POST' THEN 6 WHEN 'PUT' THEN 7 WHEN 'TRACE' THEN 8 WHEN 'PATCH' THEN 9
        ELSE CASE WHEN ocsf_text(requestmethod) IS NULL THEN 0 ELSE 99 END END AS activity_id,
    coalesce(upper(ocsf_text(requestmethod)), 'Unknown') AS activity_name,
    1 AS severity_id,
    ocsf_action_status("action") AS status_id,
    ocsf_status_name(ocsf_action_status("action")) AS status,
    ocsf_text("action") AS status_detail,
    ocsf_text(application) AS app_name,
    CASE WHEN ocsf_text(url) IS NOT NULL THEN {
        'http_method': ocsf_http_method(requestmethod),
        'url': {
            'url_string': ocsf_text(url),
            'hostname': coalesce(ocsf_text(requestdomain), ocsf_host(url)),
            'path': ocsf_text(uri),
            'query_string': ocsf_text(arguments),
            'scheme': lower(ocsf_text(protocol)),
            'port': ocsf_port(requestport),
            'categories': ocsf_texts(list_concat(webcategories, bgcategories))
        },
        'user_agent': ocsf_text(useragent),
        'referrer': ocsf_text(referrer),
        'uid': ocsf_text(setransactionid)
    } END AS http_request,
    CASE WHEN TRY_CAST(responsecode AS INTEGER) IS NOT NULL THEN {'code': TRY_CAST(responsecode AS INTEGER)} END AS http_response,
    TRY_CAST(responsecode AS INTEGER) AS http_status,
    CASE WHEN coalesce(ocsf_ip(ipaddress), ocsf_text(devicehostname), ocsf_text(deviceguid)) IS NOT NULL THEN {
        'ip': ocsf_ip(ipaddress),
        'hostname': ocsf_text(devicehostname),
        'uid': ocsf_text(deviceguid),
        'location': ocsf_location(city, region, countrycode, lat, long),
        'owner': ocsf_user(concat_ws(' ', ocsf_text(firstname), ocsf_text(lastname)), email, 1)
    } END AS src_endpoint,
    CASE WHEN coalesce(ocsf_ip(destinationip), ocsf_text(requestdomain), ocsf_host(url)) IS NOT NULL THEN {
        'ip': ocsf_ip(destinationip),
        'hostname': coalesce(ocsf_text(requestdomain), ocsf_host(url)),
        'port': ocsf_port(requestport)
    } WHEN coalesce(ocsf_ip(ipaddress), ocsf_text(devicehostname), ocsf_text(deviceguid)) IS NULL THEN {
        -- the class needs one of the two endpoints: the application, else "Unknown"
        'name': coalesce(ocsf_text(application), 'Unknown')
    } END AS dst_endpoint,
    CASE WHEN coalesce(uploadedbytes, size) IS NOT NULL THEN {
        'bytes_out': CAST(uploadedbytes AS BIGINT), 'bytes_in': CAST(size AS BIGINT)
    } END AS traffic,
    ocsf_observables([
        ocsf_obs('src_endpoint.ip', 2, ocsf_ip(ipaddress)),
        ocsf_obs('src_endpoint.owner.email_addr', 5, ocsf_email(email)),
        ocsf_obs('dst_endpoint.hostname', 1, coalesce(ocsf_text(requestdomain), ocsf_host(url))),
        ocsf_obs('dst_endpoint.ip', 2, ocsf_ip(destinationip)),
        ocsf_obs('http_request.url.url_string', 6, url),
        ocsf_obs('http_request.user_agent', 16, useragent)
    ]) AS observables,
    {
        'transactionid': ocsf_text(transactionid),
        'policyid': ocsf_text(policyid),
        'usergroup': ocsf_joined(usergroup),
        'customcategories': ocsf_joined(customcategories),
        'webcategoryclass': ocsf_joined(webcategoryclass),
        'bgcloudscore': CAST(bgcloudscore AS VARCHAR),
        'webreputation': CAST(webreputation AS VARCHAR),
        'customlocation': ocsf_text(customlocation),
        'country': ocsf_text(country),
        'regioncode': ocsf_text(regioncode),
        'gatewayip': ocsf_text(gatewayip),
        'device': ocsf_text(device),
        'indexedtime': CAST(indexedtime AS VARCHAR)
    } AS unmapped
FROM @{table}
WHERE @{day_filter}
