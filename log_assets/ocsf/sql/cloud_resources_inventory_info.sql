-- Cloud Resources Inventory Info (5023): Forcepoint cloudsummary, the current status of the files in
-- the tenant's cloud apps (Device Inventory Info 5001 needs a device; a file in a SaaS app is a cloud
-- resource). Mapping field by field: docs/ocsf.md.

-- name: forcepoint.cloudsummary
SELECT
    event_day,
    ocsf_metadata(vendor, log_type, event_id, "time", ingested_at, NULL) AS metadata,
    ocsf_ms(event_time) AS "time",
    1 AS activity_id,
    'Log' AS activity_name,
    1 AS severity_id,
    [{
        'uid': coalesce(ocsf_text(fileid), CAST(event_id AS VARCHAR)),
        'name': coalesce(ocsf_text(filename), ocsf_text(fileid), 'Unknown'),
        'type': 'file',
        'owner': ocsf_user(owner, owner, 1),
        'labels': ocsf_texts(list_concat(status, [classifylabels])),
        'created_time': ocsf_ms(coalesce(createdtime, creationtime)),
        'modified_time': ocsf_ms(coalesce(modifiedtime, modificationtime)),
        'data': {
            'application': ocsf_text(application),
            'folder': ocsf_text(folder),
            'originalfolder': ocsf_text(originalfolder),
            'filelink': ocsf_text(filelink),
            'size': CAST(size AS BIGINT),
            'sharedwith': ocsf_text(sharedwith),
            'patterns': ocsf_text(patterns),
            'originalpatterns': ocsf_text(originalpatterns),
            'dlpmatchlocations': ocsf_text(dlpmatchlocations),
            'attachments': ocsf_text(attachments)
        }
    }] AS resources,
    ocsf_observables([
        ocsf_obs('resources.name', 38, filename),
        ocsf_obs('resources.uid', 10, fileid),
        ocsf_obs('resources.owner.email_addr', 5, ocsf_email(owner))
    ]) AS observables,
    {
        'action': ocsf_text("action"),
        'email': ocsf_text(email),
        'user': ocsf_text("user"),
        'organization': ocsf_text(organization),
        'enterprisename': ocsf_text(enterprisename),
        'instancename': ocsf_text(instancename),
        'policyid': ocsf_text(policyid),
        'orgid': ocsf_text(orgid)
    } AS unmapped
FROM @{table}
WHERE @{day_filter}
