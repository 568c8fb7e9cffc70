-- What every OCSF mapping shares: macros (temporary, made on each writer connection) that turn a
-- source value into an OCSF attribute value or NULL. An OCSF row never carries a value its type's
-- pattern refuses (ip_t, email_t, port_t): such a value is left out, and it stays in the source
-- table and its `raw`. NULL means "absent": the JSON of a row leaves NULLs out.

-- name: macros
-- A text value, trimmed; NULL for the ways the vendors say "nothing" ('', '[]', 'None', 'null').
CREATE OR REPLACE TEMP MACRO ocsf_text(x) AS
    CASE WHEN trim(CAST(x AS VARCHAR)) IN ('', '[]', 'None', 'null') THEN NULL ELSE trim(CAST(x AS VARCHAR)) END;
-- A list of texts without its empty items; NULL when none is left.
CREATE OR REPLACE TEMP MACRO ocsf_texts(xs) AS
    CASE WHEN len(list_filter(xs, lambda v: ocsf_text(v) IS NOT NULL)) > 0
         THEN list_transform(list_filter(xs, lambda v: ocsf_text(v) IS NOT NULL), lambda v: ocsf_text(v)) END;
-- A list as one text ('a, b'), for `unmapped`.
CREATE OR REPLACE TEMP MACRO ocsf_joined(xs) AS array_to_string(ocsf_texts(xs), ', ');
-- ip_t, email_t: the value when it matches the pattern of its OCSF 1.8.0 type (read from the schema).
CREATE OR REPLACE TEMP MACRO ocsf_ip(x) AS
    CASE WHEN length(ocsf_text(x)) <= @{ip_max_length} AND regexp_matches(ocsf_text(x), @{ip_pattern}) THEN ocsf_text(x) END;
CREATE OR REPLACE TEMP MACRO ocsf_email(x) AS
    CASE WHEN regexp_matches(ocsf_text(x), @{email_pattern}) THEN ocsf_text(x) END;
-- port_t: 0-65535.
CREATE OR REPLACE TEMP MACRO ocsf_port(x) AS
    CASE WHEN TRY_CAST(x AS BIGINT) BETWEEN 0 AND 65535 THEN CAST(x AS INTEGER) END;
-- timestamp_t: milliseconds since the epoch.
CREATE OR REPLACE TEMP MACRO ocsf_ms(ts) AS CAST(epoch_ms(ts) AS BIGINT);
-- The host of a URL ('https://a.b/c' -> 'a.b').
CREATE OR REPLACE TEMP MACRO ocsf_host(u) AS
    ocsf_text(regexp_extract(ocsf_text(u), '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/?#]*@)?([^/:?#]+)', 1));
-- metadata: the product, the source event id, the log type, the time as the source wrote it.
CREATE OR REPLACE TEMP MACRO ocsf_metadata(vendor, log_type, event_id, original_time, ingested_at, correlation_uid) AS {
    'version': '1.8.0',
    'product': CASE vendor
        WHEN 'forcepoint' THEN {'name': 'Forcepoint ONE SSE', 'vendor_name': 'Forcepoint'}
        WHEN 'aperture' THEN {'name': 'Data Security (Aperture)', 'vendor_name': 'Palo Alto Networks'}
        ELSE {'name': CAST(vendor AS VARCHAR), 'vendor_name': CAST(vendor AS VARCHAR)} END,
    'uid': CAST(event_id AS VARCHAR),
    'log_name': CAST(log_type AS VARCHAR),
    'original_time': ocsf_text(original_time),
    'logged_time': ocsf_ms(ingested_at),
    'correlation_uid': ocsf_text(correlation_uid)
};
-- user: needs a name or a uid; the e-mail address only when it is one.
CREATE OR REPLACE TEMP MACRO ocsf_user(name, email, type_id) AS
    CASE WHEN coalesce(ocsf_text(name), ocsf_text(email)) IS NOT NULL THEN {
        'name': coalesce(ocsf_text(name), ocsf_text(email)),
        'email_addr': ocsf_email(coalesce(ocsf_email(email), ocsf_email(name))),
        'type_id': CAST(type_id AS INTEGER)
    } END;
-- group[]: one group per name.
CREATE OR REPLACE TEMP MACRO ocsf_groups(names) AS list_transform(ocsf_texts(names), lambda g: {'name': g});
-- location: needs a city, country, postal code or region.
CREATE OR REPLACE TEMP MACRO ocsf_location(city, region, country, lat, long) AS
    CASE WHEN coalesce(ocsf_text(city), ocsf_text(region), ocsf_text(country)) IS NOT NULL THEN {
        'city': ocsf_text(city), 'region': ocsf_text(region), 'country': ocsf_text(country),
        'lat': CASE WHEN TRY_CAST(lat AS DOUBLE) BETWEEN -90 AND 90 THEN TRY_CAST(lat AS DOUBLE) END,
        'long': CASE WHEN TRY_CAST(long AS DOUBLE) BETWEEN -180 AND 180 THEN TRY_CAST(long AS DOUBLE) END
    } END;
-- severity_id from Aperture's 0-5 (float or int): 0 and 1 Informational ... 5 Critical.
CREATE OR REPLACE TEMP MACRO ocsf_aperture_severity(s) AS
    CASE WHEN s IS NULL THEN 0
         WHEN round(s) <= 1 THEN 1
         WHEN round(s) <= 5 THEN CAST(round(s) AS INTEGER)
         ELSE 99 END;
-- status_id from what the policy did: blocked or denied is a Failure, anything else a Success.
CREATE OR REPLACE TEMP MACRO ocsf_action_status(action) AS
    CASE WHEN ocsf_text(action) IS NULL THEN 0
         WHEN regexp_matches(lower(CAST(action AS VARCHAR)), 'block|den(y|ied)') THEN 2
         ELSE 1 END;
CREATE OR REPLACE TEMP MACRO ocsf_status_name(id) AS
    CASE id WHEN 0 THEN 'Unknown' WHEN 1 THEN 'Success' WHEN 2 THEN 'Failure' ELSE 'Other' END;
-- observable: one per value present (NULL when absent); observables: the present ones, or NULL.
CREATE OR REPLACE TEMP MACRO ocsf_obs(name, type_id, value) AS
    CASE WHEN ocsf_text(value) IS NOT NULL THEN {
        'name': CAST(name AS VARCHAR), 'type_id': CAST(type_id AS INTEGER), 'value': ocsf_text(value)
    } END;
CREATE OR REPLACE TEMP MACRO ocsf_observables(xs) AS
    CASE WHEN len(list_filter(xs, lambda o: o IS NOT NULL)) > 0 THEN list_filter(xs, lambda o: o IS NOT NULL) END;
-- data_security.category_id from a DLP pattern's name: Personal, Financial, Business, else Unknown.
CREATE OR REPLACE TEMP MACRO ocsf_data_category(pattern) AS
    CASE WHEN pattern IS NULL THEN 0
         WHEN regexp_matches(lower(pattern), 'social security|ssn|hipaa|passport|driver|patient|personal') THEN 1
         WHEN regexp_matches(lower(pattern), 'credit card|pci|iban|bank|swift|card number') THEN 3
         WHEN regexp_matches(lower(pattern), 'source code|confidential|keyword|secret|private key') THEN 4
         ELSE 0 END;
-- http_request.http_method: one of the nine methods the schema names.
CREATE OR REPLACE TEMP MACRO ocsf_http_method(m) AS
    CASE WHEN upper(ocsf_text(m)) IN ('CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE')
         THEN upper(ocsf_text(m)) END;
-- A Forcepoint user's device as src_endpoint: it needs the IP or the device id.
CREATE OR REPLACE TEMP MACRO ocsf_device(ip, guid, location, owner) AS
    CASE WHEN coalesce(ocsf_ip(ip), ocsf_text(guid)) IS NOT NULL THEN {
        'ip': ocsf_ip(ip), 'uid': ocsf_text(guid), 'location': location, 'owner': owner
    } END;
-- A Forcepoint admin page request ('PUT /admin/policies/1042', the page path) as http_request.
CREATE OR REPLACE TEMP MACRO ocsf_admin_request(path, request, useragent, uid) AS
    CASE WHEN coalesce(ocsf_text(path), ocsf_text(request), ocsf_text(useragent)) IS NOT NULL THEN {
        'url': CASE WHEN ocsf_text(path) IS NOT NULL THEN {'path': ocsf_text(path)} END,
        'http_method': ocsf_http_method(split_part(ocsf_text(request), ' ', 1)),
        'user_agent': ocsf_text(useragent),
        'uid': ocsf_text(uid)
    } END;
-- file.type_id from an Aperture item_type.
CREATE OR REPLACE TEMP MACRO ocsf_file_type(item_type) AS
    CASE lower(ocsf_text(item_type)) WHEN 'file' THEN 1 WHEN 'folder' THEN 2 ELSE 0 END;
-- An Aperture item (asset) as resources[].
CREATE OR REPLACE TEMP MACRO ocsf_item_resources(asset_id, item_name, item_type, owner, owner_email) AS
    CASE WHEN coalesce(ocsf_text(asset_id), ocsf_text(item_name)) IS NOT NULL THEN [{
        'uid': ocsf_text(asset_id),
        'name': coalesce(ocsf_text(item_name), ocsf_text(asset_id)),
        'type': ocsf_text(item_type),
        'owner': ocsf_user(owner, owner_email, 1)
    }] END;
-- data_security of an Aperture policy rule: found by the CASB's API scan, data at rest.
CREATE OR REPLACE TEMP MACRO ocsf_rule_security(rule) AS {
    'detection_system': 'Cloud Access Security Broker',
    'detection_system_id': 8,
    'detection_pattern': ocsf_text(rule),
    'data_lifecycle_state_id': 1,
    'category_id': ocsf_data_category(ocsf_text(rule)),
    'policy': CASE WHEN ocsf_text(rule) IS NOT NULL THEN {'name': ocsf_text(rule)} END
};
-- Which class a record of a log type that has several goes to: exactly one each.
CREATE OR REPLACE TEMP MACRO ocsf_route_access(dlppattern, activity) AS
    CASE WHEN ocsf_text(dlppattern) IS NOT NULL THEN 'data_security_finding'
         WHEN list_has_any(activity, ['Login', 'Logout']) THEN 'authentication'
         ELSE 'web_resources_activity' END;
CREATE OR REPLACE TEMP MACRO ocsf_route_admin(activity) AS
    CASE WHEN ocsf_text(activity) IN ('Login', 'Logout') THEN 'authentication' ELSE 'entity_management' END;
CREATE OR REPLACE TEMP MACRO ocsf_route_cloudaudit(patterns) AS
    CASE WHEN ocsf_text(patterns) IS NOT NULL THEN 'data_security_finding' ELSE 'file_hosting' END;
CREATE OR REPLACE TEMP MACRO ocsf_is_sign_in(action) AS
    lower(ocsf_text(action)) IN ('login', 'logon', 'sign_in', 'signin', 'logout', 'logoff', 'sign_out', 'signout');
CREATE OR REPLACE TEMP MACRO ocsf_sign_in_activity(action) AS
    CASE WHEN lower(ocsf_text(action)) IN ('login', 'logon', 'sign_in', 'signin') THEN 1 ELSE 2 END;
CREATE OR REPLACE TEMP MACRO ocsf_route_activity_monitoring(action, item_type) AS
    CASE WHEN ocsf_is_sign_in(action) THEN 'authentication'
         WHEN lower(ocsf_text(item_type)) = 'user' THEN 'entity_management'
         ELSE 'file_hosting' END;
CREATE OR REPLACE TEMP MACRO ocsf_route_admin_audit(action, event_type) AS
    CASE WHEN ocsf_is_sign_in(action) OR lower(ocsf_text(event_type)) = 'login' THEN 'authentication'
         ELSE 'entity_management' END;

-- name: wrap
-- A log type's mapping with the class's constants and type_uid; the names beside an id are the
-- schema's captions of its value (activity_name keeps the source's word for 99 Other).
SELECT @{class_uid} AS class_uid, @{category_uid} AS category_uid, @{class_name} AS class_name,
       @{category_name} AS category_name,
       CAST(@{class_uid} * 100 + activity_id AS BIGINT) AS type_uid,
       @{type_name} AS type_name,
       * REPLACE (@{activity_name} AS activity_name),
       @{severity} AS severity
FROM (@{select})

-- name: probe
CREATE OR REPLACE TABLE @{table} AS SELECT * FROM (@{select}) LIMIT 0;
