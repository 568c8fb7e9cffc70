-- Application Error (6008): Forcepoint health records, each a request that the service answered
-- with an error (Server4xx, Server5xx, Bitglass4xx ...). Mapping field by field: docs/ocsf.md.

-- name: forcepoint.healthproxy
SELECT
    event_day,
    ocsf_metadata(vendor, log_type, event_id, "time", ingested_at, NULL) AS metadata,
    ocsf_ms(event_time) AS "time",
    1 AS activity_id,
    'General Error' AS activity_name,
    0 AS severity_id,
    2 AS status_id,
    'Failure' AS status,
    CAST(responsecode AS VARCHAR) AS status_code,
    coalesce(ocsf_text(details), ocsf_text(status)) AS status_detail,
    concat_ws(' ', ocsf_joined(activity), CAST(responsecode AS VARCHAR), ocsf_text(coalesce(requestmethod, httpmethod)),
              ocsf_text(url)) AS message,
    ocsf_observables([
        ocsf_obs('unmapped.ipaddress', 2, ocsf_ip(ipaddress)),
        ocsf_obs('unmapped.email', 5, ocsf_email(email)),
        ocsf_obs('unmapped.url', 6, url)
    ]) AS observables,
    {
        'transactionid': ocsf_text(transactionid),
        'activity': ocsf_joined(activity),
        'application': ocsf_text(application),
        'action': ocsf_text("action"),
        'status': ocsf_text(status),
        'user': ocsf_text("user"),
        'email': ocsf_text(email),
        'usergroup': ocsf_joined(usergroup),
        'ipaddress': ocsf_text(ipaddress),
        'device': ocsf_text(device),
        'deviceguid': ocsf_text(deviceguid),
        'location': ocsf_text("location"),
        'useragent': ocsf_text(useragent),
        'url': ocsf_text(url),
        'request': ocsf_text(request),
        'requestmethod': ocsf_text(coalesce(requestmethod, httpmethod)),
        'responsecode': CAST(responsecode AS VARCHAR),
        'latencyms': CAST(latencyms AS VARCHAR)
    } AS unmapped
FROM @{table}
WHERE @{day_filter}

-- name: forcepoint.healthapi
SELECT
    event_day,
    ocsf_metadata(vendor, log_type, event_id, "time", ingested_at, NULL) AS metadata,
    ocsf_ms(event_time) AS "time",
    1 AS activity_id,
    'General Error' AS activity_name,
    0 AS severity_id,
    2 AS status_id,
    'Failure' AS status,
    CAST(responsecode AS VARCHAR) AS status_code,
    coalesce(ocsf_text(details), ocsf_text(status)) AS status_detail,
    concat_ws(' ', ocsf_joined(activity), CAST(responsecode AS VARCHAR), ocsf_text(apiendpoint), ocsf_text(url)) AS message,
    ocsf_observables([
        ocsf_obs('unmapped.email', 5, ocsf_email(email)),
        ocsf_obs('unmapped.url', 6, url),
        ocsf_obs('unmapped.filename', 7, filename)
    ]) AS observables,
    {
        'transactionid': ocsf_text(transactionid),
        'activity': ocsf_joined(activity),
        'application': ocsf_text(application),
        'instancename': ocsf_text(instancename),
        'action': ocsf_text("action"),
        'status': ocsf_text(status),
        'user': ocsf_text("user"),
        'email': ocsf_text(email),
        'usergroup': ocsf_joined(usergroup),
        'device': ocsf_text(device),
        'url': ocsf_text(url),
        'apiendpoint': ocsf_text(apiendpoint),
        'fileid': ocsf_text(fileid),
        'filename': ocsf_text(filename),
        'responsecode': CAST(responsecode AS VARCHAR),
        'latencyms': CAST(latencyms AS VARCHAR)
    } AS unmapped
FROM @{table}
WHERE @{day_filter}

-- name: forcepoint.healthsystem
SELECT
    event_day,
    ocsf_metadata(vendor, log_type, event_id, "time", ingested_at, NULL) AS metadata,
    ocsf_ms(event_time) AS "time",
    1 AS activity_id,
    'General Error' AS activity_name,
    0 AS severity_id,
    2 AS status_id,
    'Failure' AS status,
    CAST(responsecode AS VARCHAR) AS status_code,
    coalesce(ocsf_text(details), ocsf_text(status)) AS status_detail,
    concat_ws(' ', ocsf_joined(activity), CAST(responsecode AS VARCHAR), ocsf_text(requestmethod), ocsf_text(url)) AS message,
    ocsf_observables([
        ocsf_obs('unmapped.ipaddress', 2, ocsf_ip(ipaddress)),
        ocsf_obs('unmapped.email', 5, ocsf_email(email)),
        ocsf_obs('unmapped.url', 6, url)
    ]) AS observables,
    {
        'transactionid': ocsf_text(transactionid),
        'activity': ocsf_joined(activity),
        'application': ocsf_text(application),
        'component': ocsf_text(component),
        'region': ocsf_text(region),
        'action': ocsf_text("action"),
        'status': ocsf_text(status),
        'user': ocsf_text("user"),
        'email': ocsf_text(email),
        'usergroup': ocsf_joined(usergroup),
        'ipaddress': ocsf_text(ipaddress),
        'device': ocsf_text(device),
        'deviceguid': ocsf_text(deviceguid),
        'location': ocsf_text("location"),
        'useragent': ocsf_text(useragent),
        'url': ocsf_text(url),
        'requestmethod': ocsf_text(requestmethod),
        'responsecode': CAST(responsecode AS VARCHAR)
    } AS unmapped
FROM @{table}
WHERE @{day_filter}
