-- Data Security Finding (2006): DLP hits (Forcepoint swgwebdlp; access and cloudaudit records with a
-- DLP pattern) and Aperture incidents and policy violations. Mapping field by field: docs/ocsf.md.

-- name: forcepoint.swgwebdlp
SELECT
    event_day,
    ocsf_metadata(vendor, log_type, event_id, "time", ingested_at, NULL) AS metadata,
    ocsf_ms(event_time) AS "time",
    1 AS activity_id,
    'Create' AS activity_name,
    0 AS severity_id,
    1 AS status_id,
    'New' AS status,
    {
        'uid': CAST(event_id AS VARCHAR),
        'title': coalesce('DLP: ' || ocsf_joined(dlppattern), 'DLP policy action'),
        'types': ['DLP'],
        'data_sources': ['Forcepoint ONE SSE swgwebdlp'],
        'created_time': ocsf_ms(event_time)
    } AS finding_info,
    {
        'detection_system': 'Secure Web Gateway',
        'detection_system_id': 5,
        'detection_pattern': ocsf_joined(dlppattern),
        'pattern_match': ocsf_joined(keyword),
        'data_lifecycle_state_id': 2,
        'category_id': ocsf_data_category(ocsf_joined(dlppattern)),
        'policy': CASE WHEN ocsf_text(policyid) IS NOT NULL THEN {'uid': ocsf_text(policyid)} END
    } AS data_security,
    CASE WHEN ocsf_texts(filename) IS NOT NULL THEN {
        'name': ocsf_texts(filename)[1],
        'type_id': 1,
        'ext': ocsf_text(docextension),
        'mime_type': ocsf_text(doctype),
        'hashes': ocsf_observables([
            CASE WHEN ocsf_text(docsha256) IS NOT NULL THEN {'algorithm_id': 3, 'value': ocsf_text(docsha256)} END,
            CASE WHEN ocsf_text(docsha1) IS NOT NULL THEN {'algorithm_id': 2, 'value': ocsf_text(docsha1)} END,
            CASE WHEN ocsf_text(docmd5) IS NOT NULL THEN {'algorithm_id': 1, 'value': ocsf_text(docmd5)} END
        ])
    } END AS file,
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
    } END AS dst_endpoint,
    ocsf_observables([
        ocsf_obs('src_endpoint.ip', 2, ocsf_ip(ipaddress)),
        ocsf_obs('src_endpoint.owner.email_addr', 5, ocsf_email(email)),
        ocsf_obs('dst_endpoint.hostname', 1, coalesce(ocsf_text(requestdomain), ocsf_host(url))),
        ocsf_obs('file.name', 7, ocsf_texts(filename)[1]),
        ocsf_obs('file.hashes.value', 8, docsha256)
    ]) AS observables,
    {
        'transactionid': ocsf_text(transactionid),
        'setransactionid': ocsf_text(setransactionid),
        'action': ocsf_text("action"),
        'dlpaction': ocsf_text(dlpaction),
        'activity': ocsf_joined(activity),
        'filename': ocsf_joined(filename),
        'threatindicator': ocsf_joined(threatindicator),
        'url': ocsf_text(url),
        'requestmethod': ocsf_text(requestmethod),
        'useragent': ocsf_text(useragent),
        'application': ocsf_text(application),
        'usergroup': ocsf_joined(usergroup),
        'uploadedbytes': CAST(uploadedbytes AS VARCHAR),
        'size': CAST(size AS VARCHAR),
        'dlpip': ocsf_text(dlpip)
    } AS unmapped
FROM @{table}
WHERE @{day_filter}

-- name: forcepoint.access
SELECT
    event_day,
    ocsf_metadata(vendor, log_type, event_id, "time", ingested_at, NULL) AS metadata,
    ocsf_ms(event_time) AS "time",
    1 AS activity_id,
    'Create' AS activity_name,
    0 AS severity_id,
    1 AS status_id,
    'New' AS status,
    ocsf_text(details) AS message,
    {
        'uid': CAST(event_id AS VARCHAR),
        'title': 'DLP: ' || ocsf_text(dlppattern),
        'types': ['DLP'],
        'data_sources': ['Forcepoint ONE SSE access'],
        'created_time': ocsf_ms(event_time)
    } AS finding_info,
    {
        'detection_system': 'Cloud Access Security Broker',
        'detection_system_id': 8,
        'detection_pattern': ocsf_text(dlppattern),
        'data_lifecycle_state_id': 2,
        'category_id': ocsf_data_category(ocsf_text(dlppattern)),
        'policy': CASE WHEN ocsf_text(policyid) IS NOT NULL THEN {'uid': ocsf_text(policyid)} END
    } AS data_security,
    CASE WHEN ocsf_text(filename) IS NOT NULL THEN {'name': ocsf_text(filename), 'type_id': 1} END AS file,
    ocsf_device(
        ipaddress,
        deviceguid,
        ocsf_location(location_city, location_region, location_country_code, NULL, NULL),
        ocsf_user("user", email, 1)
    ) AS src_endpoint,
    CASE WHEN ocsf_host(url) IS NOT NULL THEN {'hostname': ocsf_host(url), 'name': ocsf_text(application)} END
        AS dst_endpoint,
    ocsf_observables([
        ocsf_obs('src_endpoint.ip', 2, ocsf_ip(ipaddress)),
        ocsf_obs('src_endpoint.owner.name', 4, coalesce(ocsf_text("user"), ocsf_text(email))),
        ocsf_obs('src_endpoint.owner.email_addr', 5, ocsf_email(email)),
        ocsf_obs('file.name', 7, filename)
    ]) AS observables,
    {
        'transactionid': ocsf_text(transactionid),
        'action': ocsf_joined("action"),
        'activity': ocsf_joined(activity),
        'application': ocsf_text(application),
        'instancename': ocsf_text(instancename),
        'url': ocsf_text(url),
        'request': ocsf_text(request),
        'useragent': ocsf_text(useragent),
        'dlpmatchlocations': ocsf_text(dlpmatchlocations),
        'usergroup': ocsf_joined(usergroup),
        'device': ocsf_text(device),
        'location': ocsf_text("location"),
        'emailfrom': ocsf_text(emailfrom),
        'emailto': ocsf_text(emailto),
        'emailcc': ocsf_text(emailcc),
        'emailbcc': ocsf_text(emailbcc),
        'emailsubject': ocsf_text(emailsubject),
        'emailsenttime': CAST(emailsenttime AS VARCHAR),
        'attachments': ocsf_text(attachments),
        'pagetitle': ocsf_text(pagetitle)
    } AS unmapped
FROM @{table}
WHERE @{day_filter} AND ocsf_route_access(dlppattern, activity) = 'data_security_finding'

-- name: forcepoint.cloudaudit
SELECT
    event_day,
    ocsf_metadata(vendor, log_type, event_id, "time", ingested_at, NULL) AS metadata,
    ocsf_ms(event_time) AS "time",
    1 AS activity_id,
    'Create' AS activity_name,
    0 AS severity_id,
    1 AS status_id,
    'New' AS status,
    {
        'uid': CAST(event_id AS VARCHAR),
        'title': 'DLP: ' || ocsf_text(patterns),
        'types': ['DLP'],
        'data_sources': ['Forcepoint ONE SSE cloudaudit'],
        'created_time': ocsf_ms(event_time)
    } AS finding_info,
    {
        'detection_system': 'Cloud Access Security Broker',
        'detection_system_id': 8,
        'detection_pattern': ocsf_text(patterns),
        'data_lifecycle_state_id': 1,
        'category_id': ocsf_data_category(ocsf_text(patterns)),
        'policy': CASE WHEN ocsf_text(policyid) IS NOT NULL THEN {'uid': ocsf_text(policyid)} END
    } AS data_security,
    CASE WHEN coalesce(ocsf_text(filename), ocsf_text(fileid)) IS NOT NULL THEN {
        'name': coalesce(ocsf_text(filename), ocsf_text(fileid)),
        'type_id': 1,
        'uid': ocsf_text(fileid),
        'size': CAST(size AS BIGINT),
        'parent_folder': ocsf_text(folder),
        'uri': ocsf_text(filelink),
        'created_time': ocsf_ms(createdtime),
        'modified_time': ocsf_ms(modifiedtime),
        'owner': ocsf_user(owner, owner, 1)
    } END AS file,
    CASE WHEN ocsf_ip(actoripaddress) IS NOT NULL THEN {
        'ip': ocsf_ip(actoripaddress),
        'owner': ocsf_user(coalesce(ocsf_text(actor), ocsf_text("user")), email, 1)
    } END AS src_endpoint,
    CASE WHEN coalesce(ocsf_text(filename), ocsf_text(fileid)) IS NOT NULL THEN [{
        'uid': ocsf_text(fileid),
        'name': coalesce(ocsf_text(filename), ocsf_text(fileid)),
        'type': 'file',
        'owner': ocsf_user(owner, owner, 1)
    }] END AS resources,
    ocsf_observables([
        ocsf_obs('file.name', 7, filename),
        ocsf_obs('file.owner.email_addr', 5, ocsf_email(owner)),
        ocsf_obs('src_endpoint.ip', 2, ocsf_ip(actoripaddress))
    ]) AS observables,
    {
        'action': ocsf_text("action"),
        'activity': ocsf_text(activity),
        'application': ocsf_text(application),
        'instancename': ocsf_text(instancename),
        'enterprisename': ocsf_text(enterprisename),
        'actor': ocsf_text(actor),
        'status': ocsf_text(status),
        'sharedwith': ocsf_text(sharedwith),
        'copies': ocsf_text(copies),
        'dlpmatchlocations': ocsf_text(dlpmatchlocations),
        'orgid': ocsf_text(orgid)
    } AS unmapped
FROM @{table}
WHERE @{day_filter} AND ocsf_route_cloudaudit(patterns) = 'data_security_finding'

-- name: aperture.incident
SELECT
    event_day,
    ocsf_metadata(vendor, log_type, event_id, "timestamp", ingested_at, incident_id) AS metadata,
    ocsf_ms(event_time) AS "time",
    CASE WHEN datetime_edited > event_time THEN 2 ELSE 1 END AS activity_id,
    CASE WHEN datetime_edited > event_time THEN 'Update' ELSE 'Create' END AS activity_name,
    ocsf_aperture_severity(severity) AS severity_id,
    {
        'uid': coalesce(ocsf_text(incident_id), CAST(event_id AS VARCHAR)),
        'title': coalesce(ocsf_text(policy_rule_name), 'Data Security incident'),
        'types': ['Incident'],
        'data_sources': ['Data Security (Aperture) incident'],
        'modified_time': ocsf_ms(datetime_edited)
    } AS finding_info,
    ocsf_rule_security(policy_rule_name) AS data_security,
    CASE WHEN coalesce(ocsf_text(item_name), ocsf_text(asset_id)) IS NOT NULL THEN {
        'name': coalesce(ocsf_text(item_name), ocsf_text(asset_id)),
        'type_id': ocsf_file_type(item_type),
        'type': ocsf_text(item_type),
        'uid': ocsf_text(asset_id),
        'size': CAST(item_size AS BIGINT),
        'uri': ocsf_text(item_cloud_url),
        'parent_folder': ocsf_text(container_name),
        'hashes': CASE WHEN ocsf_text(item_sha256) IS NOT NULL THEN [{'algorithm_id': 3, 'value': ocsf_text(item_sha256)}] END,
        'owner': ocsf_user(item_owner, item_owner_email, 1),
        'creator': ocsf_user(item_creator, item_creator_email, 1)
    } END AS file,
    ocsf_item_resources(asset_id, item_name, item_type, item_owner, item_owner_email) AS resources,
    ocsf_observables([
        ocsf_obs('file.name', 7, item_name),
        ocsf_obs('file.hashes.value', 8, item_sha256),
        ocsf_obs('file.owner.email_addr', 5, ocsf_email(item_owner_email)),
        ocsf_obs('resources.uid', 10, asset_id)
    ]) AS observables,
    {
        'incident_id': ocsf_text(incident_id),
        'serial': ocsf_text(serial),
        'cloud_app_instance': ocsf_text(cloud_app_instance),
        'exposure': ocsf_text(exposure),
        'incident_category': ocsf_text(incident_category),
        'incident_owner': ocsf_text(incident_owner),
        'collaborators': ocsf_text(collaborators),
        'occurrences_by_rule': CAST(occurrences_by_rule AS VARCHAR),
        'item_owner_group': ocsf_text(item_owner_group),
        'item_verdict': ocsf_text(item_verdict),
        'item_unique_id': ocsf_text(item_unique_id),
        'severity': CAST(severity AS VARCHAR)
    } AS unmapped
FROM @{table}
WHERE @{day_filter}

-- name: aperture.policy_violation
SELECT
    event_day,
    ocsf_metadata(vendor, log_type, event_id, "timestamp", ingested_at, incident_id) AS metadata,
    ocsf_ms(event_time) AS "time",
    1 AS activity_id,
    'Create' AS activity_name,
    ocsf_aperture_severity(severity) AS severity_id,
    1 AS status_id,
    'New' AS status,
    {
        'uid': CAST(event_id AS VARCHAR),
        'title': coalesce(ocsf_text(policy_rule_name), 'Data Security policy violation'),
        'types': ['Policy Violation'],
        'data_sources': ['Data Security (Aperture) policy_violation'],
        'created_time': ocsf_ms(event_time)
    } AS finding_info,
    ocsf_rule_security(policy_rule_name) AS data_security,
    CASE WHEN coalesce(ocsf_text(item_name), ocsf_text(asset_id)) IS NOT NULL THEN {
        'name': coalesce(ocsf_text(item_name), ocsf_text(asset_id)),
        'type_id': ocsf_file_type(item_type),
        'type': ocsf_text(item_type),
        'uid': ocsf_text(asset_id),
        'owner': ocsf_user(item_owner, item_owner_email, 1),
        'creator': ocsf_user(item_creator, item_creator_email, 1)
    } END AS file,
    ocsf_item_resources(asset_id, item_name, item_type, item_owner, item_owner_email) AS resources,
    ocsf_observables([
        ocsf_obs('file.name', 7, item_name),
        ocsf_obs('file.owner.email_addr', 5, ocsf_email(item_owner_email)),
        ocsf_obs('resources.uid', 10, asset_id)
    ]) AS observables,
    {
        'incident_id': ocsf_text(incident_id),
        'serial': ocsf_text(serial),
        'cloud_app_instance': ocsf_text(cloud_app_instance),
        'action_taken': ocsf_text(action_taken),
        'action_taken_by': ocsf_text(action_taken_by),
        'severity': CAST(severity AS VARCHAR)
    } AS unmapped
FROM @{table}
WHERE @{day_filter}
