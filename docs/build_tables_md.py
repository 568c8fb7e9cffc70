"""Writes `docs/tables.md`: every warehouse table and column, from a built warehouse.

    python docs/build_tables_md.py [HOME]            # HOME: a built $LOG_ASSETS_HOME (default: it, or ./data)
    python docs/build_tables_md.py HOME --check      # exit 1 if docs/tables.md differs

The tables, columns and types come from `information_schema.columns` of the warehouse (opened
read-only); grains and dedup keys from the catalog (`log_assets/catalog.py`); column meanings from
the descriptions below (the vendors' API pages for the vendor fields). Edit them here, never
tables.md by hand. A column without a description is reported and fails `--check`; a column of a
per-type table that the catalog does not know (a new field that arrived in the records) is listed as
"seen in data, not in the catalog" instead, and reported, without failing.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import duckdb

from log_assets.catalog import APERTURE, CATALOG, FORCEPOINT, LOCATION_PARTS, LogType, cv_tuple
from log_assets.lake.schema import known_columns
from log_assets.warehouse import connect_readonly
from log_assets.warehouse.eventmap import expressions, from_section, section_name
from log_assets.warehouse.sqlfiles import sections

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "tables.md"
SCHEMAS = ("analytics", FORCEPOINT, APERTURE)

# ---------------------------------------------------------------------------------------------
# The columns every per-type table has (the lake's common columns, plus event_day).
# ---------------------------------------------------------------------------------------------

COMMON = {
    "event_id": "The dedup key: one row per value (how it is made: see the table's dedup key).",
    "event_time": "When the event happened (UTC), parsed from the vendor's time field (`time` / `timestamp`).",
    "vendor": "`forcepoint` or `aperture`.",
    "log_type": "The log type (the table's name).",
    "raw": "The event exactly as received, as JSON text: every field, also those without a column. "
    "Read others with `json_extract_string(raw, '$.field')`.",
    "ingested_at": "When this copy of the event was parsed into the lake (UTC).",
    "event_day": "UTC day of `event_time`: the lake partition (`event_day`) the row was loaded from.",
}

# ---------------------------------------------------------------------------------------------
# Forcepoint ONE SSE fields (the vendor's Data Keys table, api-facts.md for what real data shows).
# FP_FIELDS is the default meaning; FP_BY_TYPE overrides it for one log type.
# ---------------------------------------------------------------------------------------------

FP_FIELDS = {
    "syslogheader": "Syslog header, e.g. `<110>1 2021-12-23T17:13:42.754000Z api.bitglass.com NILVALUE NILVALUE "
    "access`; the only sub-second time. Its message id says `access` whatever the log type.",
    "time": "Log creation time (UTC) as sent, `%d %b %Y %H:%M:%S` (e.g. `23 Dec 2021 17:13:42`); parsed into "
    "`event_time`.",
    "application": "The application (cloud app) the event belongs to.",
    "action": "The action Forcepoint ONE SSE enforced by policy, e.g. Allowed, Blocked, Quarantined, Alert, "
    "NotifyAdmin, NotifyOwner.",
    "user": "Name of the Forcepoint ONE SSE user initiating the transaction.",
    "email": "Email of the Forcepoint ONE SSE user initiating the transaction.",
    "device": "OS and version, parsed from the user agent by the cloud data plane.",
    "ipaddress": "Device IP address of the user, internal to the customer's network.",
    "location": "Location of the user: `City||Region||Code||CC` or a JSON array.",
    "activity": "The activity the user performs: Access, Accounts, Attachment, Downloaded, Email, Edit, Files, "
    "Report, Uploaded, Users, ...",
    "useragent": "User agent string.",
    "request": "The request of the transaction (the vendor page gives no description).",
    "transactionid": "Unique identifier of the transaction; ends with a bracketed time "
    "(`… [23 Dec 2021 17:13:42]` or `… [2021-12-23 16:57:46]`).",
    "emailfrom": "Email address of the user sending the email.",
    "emailto": "Email addresses of the recipients.",
    "emailsubject": "Email subject.",
    "emailcc": "Email addresses of the recipients in Cc.",
    "emailbcc": "Email addresses of the recipients in Bcc.",
    "emailsenttime": "The time the email was sent (UTC), parsed from the text sent.",
    "filename": "The name of the file.",
    "dlppattern": "The DLP patterns that matched the content (file, email subject or body), with the keywords "
    "that matched, e.g. `Sensitive Keywords (confidential)`.",
    "pagetitle": "Title of the page (the vendor page gives no description).",
    "url": "URL accessed.",
    "instancename": "The app instance name the event occurred in.",
    "usergroup": "Groups the user belongs to, a list (sent as a JSON array or a Python-list string, "
    "`['355160', 'All Users']`).",
    "deviceguid": "The user's device GUID (if applicable).",
    "attachments": "Attachments contained in the event.",
    "dlpmatchlocations": "Where in the content a DLP match was triggered.",
    "policyid": "ID of the policy line that was triggered.",
    "customlocation": "Custom location name.",
    "city": "City, based on the gateway IP.",
    "responsecode": "HTTP(S) response code generated by the application or Forcepoint ONE SSE (NULL when not "
    "sent).",
    "httpmethod": "The HTTP method used.",
    "owner": "Owner of the file (email address).",
    "fileid": "Unique id of the file; the same file recurs in later scans and status changes.",
    "patterns": "DLP patterns matched in the file, with the keywords matched for each, e.g. `Sensitive Keywords "
    "(confidential)`.",
    "orgid": "The Salesforce org ID.",
    "copies": 'The copy made by a "create copy" action (filename, owner, path, status, link).',
    "enterprisename": "The Slack enterprise name, from the API logs.",
    "actor": "The person who performed the activity.",
    "actoripaddress": "IP address of the actor.",
    "size": "Downloaded bytes.",
    "status": "Status of the health check (the vendor page gives no field list for the health types).",
    "folder": "The location (folder) of the file.",
    "filelink": "Link to view the file.",
    "sharedwith": "Users with whom the file is shared.",
    "organization": "The organization the file belongs to in Cisco Spark.",
    "originalfolder": "Original folder of a file moved by a quarantine action.",
    "originalpatterns": "The pattern match that triggered a quarantine action.",
    "classifylabels": "Classification label of the file scanned via the application API.",
    "creationtime": "Time the file was created (UTC), parsed (the name the vendor page gives; real records say "
    "`createdtime`).",
    "modificationtime": "Time the file was last modified (UTC), parsed (the name the vendor page gives; real "
    "records say `modifiedtime`).",
    "createdtime": "Time the file was created (UTC), parsed from `%d %b %Y %H:%M:%S`.",
    "modifiedtime": "Time the file was last modified (UTC), parsed from `%d %b %Y %H:%M:%S`.",
    "location_city": "City: the first part of `location` (`City||Region||Code||CC`); NULL when `location` is "
    'a JSON array such as `["Guest"]`.',
    "location_region": "Region: the second part of `location`.",
    "location_region_code": "Region code: the third part of `location`.",
    "location_country_code": "Country code: the fourth part of `location`.",
    "webcategories": "Web categories of the destination, a list (sent as a JSON array in a string, e.g. "
    '`["WR:Gambling"]`).',
    "destinationip": "IP address of the destination server.",
    "devicehostname": "Host name of the user's device.",
    "uri": "Request URI path (without domain and arguments).",
    "setransactionid": "SmartEdge transaction id.",
    "arguments": "Request arguments (the query string).",
    "bgcategories": "Domain categories from the Forcepoint ONE SSE Shadow IT discovery database, a list (sent as "
    "a JSON array in a string).",
    "customcategories": "Custom categories defined by the customer, a list (sent as a JSON array in a string, "
    "often `[]`: NULL).",
    "countrycode": "Country code, based on the gateway IP.",
    "country": "Country, based on the gateway IP.",
    "requestdomain": "Request domain.",
    "bgcloudscore": "Domain-based cloud score from Forcepoint ONE SSE (sent as a decimal in a string, `7.00`).",
    "gatewayip": "The public IP of the gateway that Forcepoint ONE SSE sees.",
    "protocol": "Application-layer protocol, e.g. http, ftp.",
    "referrer": "Referrer header of the request.",
    "region": "Region, based on the gateway IP.",
    "regioncode": "Region code, based on the gateway IP.",
    "requestmethod": "HTTP request method (GET, POST, ...).",
    "firstname": "First name of the user.",
    "lastname": "Last name of the user.",
    "webcategoryclass": "Web category class, a list (sent as a JSON array in a string).",
    "webreputation": "Web reputation (sent as a decimal in a string, `80.00`).",
    "lat": "Latitude, based on the gateway IP.",
    "long": "Longitude, based on the gateway IP.",
    "requestport": "Request port.",
    "uploadedbytes": "Uploaded bytes.",
    "indexedtime": "When the record was indexed (UTC), parsed from `%Y-%m-%d %H:%M:%S`.",
    "dlpaction": "The DLP action (e.g. Block, Alert, Allow, Encrypt).",
    "doctype": "Type of the document.",
    "docextension": "File extension of the document.",
    "docsha1": "SHA-1 of the document.",
    "docsha256": "SHA-256 of the document.",
    "docmd5": "MD5 of the document.",
    "keyword": "DLP keywords that matched, a list (sent as a JSON array in a string, often `[]`: NULL).",
    "threatindicator": "Malware threat indicators, a list (sent as a JSON array in a string, often `[]`: NULL).",
    "dlpip": "IP from the DLP engine logs.",
    "details": "Details of the event, free text.",
    "latencyms": "Latency in milliseconds.",
    "apiendpoint": "The cloud-app API endpoint that was called.",
    "component": "The Forcepoint ONE SSE component the health event is about.",
    "connectorname": "The ZTNA connector that carried the connection.",
}

FP_BY_TYPE = {
    ("cloudaudit", "filename"): "Name of the file scanned via the application API.",
    ("cloudsummary", "filename"): "Name of the file scanned via the application API.",
    ("cloudaudit", "activity"): "The activity recorded in the cloud audit log.",
    ("cloudaudit", "action"): "The action of the scan (real records: `DLPScan`).",
    ("cloudaudit", "status"): "Status of the file at the scan.",
    ("cloudaudit", "size"): "Size of the file (bytes).",
    ("access", "action"): "The actions Forcepoint ONE SSE enforced by policy, a list (sent as a comma list, "
    "`Alert, Blocked, DLP, Notify`).",
    ("access", "activity"): "The activities the user performs, a list (sent as a comma list, "
    "`Cloudstorage, Downloaded, Web`).",
    ("access", "details"): 'What happened, free text ("User challenged with Multi-Factor Authentication.").',
    ("admin", "details"): 'What the admin changed, free text ("Admin changed saml_issuer_id in the SSO config '
    'for …").',
    ("admin", "url"): "The admin page path.",
    ("healthproxy", "activity"): "The health signal, a list (e.g. `Server4xx`, `Server5xx`).",
    ("healthapi", "activity"): "The health signal, a list (e.g. `Server4xx`).",
    ("healthsystem", "activity"): "The health signal, a list (sent as a comma list, `Bitglass4xx, RestAPI`).",
    ("healthproxy", "url"): "URL of the request the health event is about.",
    ("healthapi", "url"): "URL of the API call the health event is about.",
    ("healthsystem", "url"): "URL of the request the health event is about.",
    ("swgwebdlp", "dlppattern"): "The DLP patterns that matched, a list (sent as a JSON array in a string, "
    "often `[]`: NULL).",
    ("cloudsummary", "size"): "Size of the file (bytes).",
    (
        "cloudsummary",
        "status",
    ): "Current status of the file, a list (sent as a comma list, `Internal, Shared, DLP`): Private, Public, "
    "Internal, External, Shared, DLP, Renamed, Moved.",
    ("swgweb", "url"): "Request URI (URL = domain + URI + arguments).",
    ("swgwebdlp", "url"): "Request URI (URL = domain + URI + arguments).",
    ("swgweb", "application"): "Application accessed over the SmartEdge agent.",
    ("swgwebdlp", "application"): "Application accessed over the SmartEdge agent.",
    ("swgwebdlp", "filename"): "Names of the files being uploaded or downloaded, a list (sent as a JSON array "
    "in a string, often `[]`: NULL).",
    ("swgwebdlp", "activity"): "The activities the user was performing (e.g. Upload, Download), a list (sent as "
    "a JSON array in a string, often `[]`: NULL).",
    ("swgwebdlp", "action"): "The action of the SWG DLP policy (real records: e.g. `tobitglass`).",
    ("swgwebdlp", "policyid"): "SWG policy ID hit.",
    ("swgweb", "policyid"): "SWG policy ID hit.",
    ("healthsystem", "region"): "Region of the component.",
    ("ztna", "size"): "Downloaded bytes of the connection.",
    ("ztna", "uploadedbytes"): "Uploaded bytes of the connection.",
    ("ztna", "application"): "The private application reached.",
}

# ---------------------------------------------------------------------------------------------
# Palo Alto Networks Data Security (Aperture) fields (the vendor's Log Events API page).
# ---------------------------------------------------------------------------------------------

AP_FIELDS = {
    "serial": "Serial number of the organization using the service (tenant); NULL or a digit string.",
    "cloud_app_instance": "Cloud app name (the instance, not the app type).",
    "timestamp": "ISO 8601 time of the event as sent (`…Z`, fractional seconds, sometimes a trailing space); "
    "parsed into `event_time`.",
    "item_type": "Item type: File, Folder or User (case varies).",
    "item_name": "Name of the file, folder, email subject or user associated with the event.",
    "item_unique_id": "Unique ID of an asset's related asset.",
    "user": "Cloud app user who performed the action.",
    "source_ip": "Original session source IP address.",
    "location": "Location of the cloud app user who performed the event.",
    "action": "Action performed (e.g. view, download, delete, share).",
    "target_name": "Target name.",
    "target_type": 'Target type (`""` or NULL).',
    "severity": "Incident severity, 0 to 5.",
    "asset_id": "Unique ID of the asset identified as a risk.",
    "item_owner": "User who owns the asset.",
    "container_name": "Bucket name for AWS S3, Google Cloud Platform and Microsoft Azure assets; NULL for other "
    "apps.",
    "item_creator": "User who created the asset.",
    "exposure": "Exposure level: Public, External, Company or Internal (case varies).",
    "occurrences_by_rule": "Number of times the asset violated the policy.",
    "item_owner_email": "Email address of the item owner.",
    "item_creator_email": "Email address of the item creator.",
    "incident_id": "Unique ID of the incident: it recurs as the incident is edited, and ties violations and "
    "remediations to it.",
    "policy_rule_name": "Names of one or more policy rules (not policy types) that matched.",
    "incident_category": "Category of the incident, e.g. Personal or Business Justified.",
    "incident_owner": "Administrator assigned to the incident.",
    "collaborators": "Collaborators on the file, or recipients of the email.",
    "datetime_edited": "Last edit time (UTC), parsed from ISO 8601 (orders an incident's records).",
    "item_cloud_url": "URL of the file, to download or view the asset.",
    "item_owner_group": "AD groups the asset owner belongs to.",
    "item_sha256": "SHA-256 of the file, as reported by WildFire.",
    "item_size": "Size of the file (bytes), as reported by WildFire.",
    "item_verdict": "WildFire verdict: malware, benign or not available.",
    "action_taken": "Action taken on the violation, e.g. Alerted Admin, Removed PublicLinks, Quarantine, "
    "EmailOwner.",
    "action_taken_by": "Cloud app user who took the action; `Aperture` for automated remediation.",
    "admin_id": "Email account of the administrative user.",
    "admin_role": "Role of the administrative user: super_admin, admin, limited_admin, read_only.",
    "ip": "IP address of the administrative user.",
    "event_type": "Type of configuration change event: settings, policy, remediation, login.",
    "field": "Name of the field the configuration change concerns.",
    "resource_value_old": "Value before the change.",
    "resource_value_new": "Value after the change.",
}

AP_BY_TYPE = {
    ("activity_monitoring", "severity"): "Severity of the activity (1 / 1.0 in real records; the vendor page "
    "omits the field).",
    ("activity_monitoring", "user"): "Cloud app user who performed the action (often an e-mail address).",
    ("remediation", "asset_id"): "Unique ID of the remediated asset.",
    ("remediation", "item_owner"): "User who owns the remediated asset.",
    ("remediation", "item_creator"): "User who created the remediated asset.",
    ("remediation", "incident_id"): "Unique ID of the remediated incident.",
    (
        "remediation",
        "action_taken",
    ): "Action taken to remediate: Admin Quarantine, User Quarantine or Remove Public Links.",
    ("policy_violation", "asset_id"): "Unique ID of the asset that violated the policy.",
    ("policy_violation", "item_owner"): "User who owns the asset that violated the policy.",
    ("policy_violation", "item_creator"): "User who created the asset that violated the policy.",
    ("policy_violation", "incident_id"): "Unique ID of the incident the violation belongs to.",
    (
        "admin_audit",
        "item_type",
    ): "Type of configuration item that changed: user, apps, settings, content_policy, file, risk, "
    "general_settings.",
    ("admin_audit", "item_name"): "Name of the configuration item that changed.",
    (
        "admin_audit",
        "action",
    ): "Configuration change activity: create, edit, delete, login, logout (also sign_in / sign_out).",
}

# ---------------------------------------------------------------------------------------------
# Analytics tables and the latest-state tables.
# ---------------------------------------------------------------------------------------------

ANALYTICS = {
    "events": {
        "grain": "row of every per-type table (published with them, so the counts always add up)",
        "key": "(`vendor`, `log_type`, `event_id`): unique because each per-type table is unique by `event_id`",
        "about": "Every event of both vendors in one shape, with OCSF-style names. Each log type's mapping is "
        "`log_assets/warehouse/sql/events.sql` (listed below); a column a log type does not map is NULL. "
        "Log types the catalog does not know are mapped from `raw`. Every text column is trimmed and never "
        "`''`: an empty value (`''`, `[]`, `None`, `null`) is NULL; list columns of the per-type tables "
        "(e.g. access `action`, `activity`) are joined with `, `.",
        "columns": {
            "event_time": "When the event happened (UTC): the source row's `event_time` (the same name as in "
            "every other table).",
            "event_day": "UTC day of `event_time`.",
            "vendor": "`forcepoint` or `aperture`.",
            "log_type": "The log type; the source table is `<vendor>.<log_type>`.",
            "event_class": "What kind of event: `activity` (what a user did: access, swgweb, ztna, Aperture "
            "activity_monitoring), `dlp` (a Forcepoint DLP hit: swgwebdlp, access with a `dlppattern`, "
            "cloudaudit with `patterns`; the Forcepoint rows of `analytics.incidents`), `file` (cloud API scans "
            "and file status: cloudaudit without a pattern, cloudsummary), `incident` (Aperture incident, "
            "policy_violation, remediation), `admin` (Forcepoint admin, Aperture admin_audit), `health` "
            "(healthproxy, healthapi, healthsystem telemetry, not user activity), `other` (a log type the "
            "catalog does not know).",
            "user_name": "The user: `user`, else (swgweb, swgwebdlp: real records have no `user`) `firstname` + "
            "' ' + `lastname`, else cloudaudit `actor`, Aperture `item_owner` / `admin_id`.",
            "user_email": "The user's e-mail address: Forcepoint `email` (cloudaudit: else an e-mail `actor`, "
            "else `owner`; cloudsummary: else `owner`), Aperture `item_owner_email`; else `user_name` when that "
            "is an e-mail address (contains `@`; Aperture's `user` often is).",
            "user_key": "One key per person across both vendors: `lower(user_email)`; else, for a record with "
            "only a display name, the e-mail that name resolves to (`analytics.identities`: learned from the "
            "records that carry both, when the name went with exactly one address); else `lower(user_name)` "
            "(an unknown or ambiguous name). Forcepoint `Upper@Case.com`, Aperture `upper@case.com` and an "
            "Aperture record naming only `Upper Case` are one key.",
            "src_ip": "The user's IP address: Forcepoint `ipaddress` / `actoripaddress`; Aperture `source_ip` / "
            "`ip`.",
            "app_name": "Application: Forcepoint `application`; Aperture `cloud_app_instance`.",
            "action": "What the policy or the actor did (Forcepoint `action`, a list joined with `, ` for access, "
            "e.g. `Alert, Blocked, DLP, Notify`; Aperture `action` / `action_taken`).",
            "activity_name": "The user's activity: Forcepoint `activity` (a list joined with `, `, e.g. "
            "`Cloudstorage, Downloaded, Web`; the signal for the health types, e.g. `Server4xx`), the HTTP method "
            "for swgweb; Aperture `action` (activity_monitoring) / `event_type` (admin_audit).",
            "disposition": "The outcome, from the words of `action` (a list is read whole): `blocked` if any "
            "says block / deny / reject / drop / quarantine; else `alerted` if any says alert / notify / warn / "
            "coach / challenge; else `allowed` if any says allow / permit / pass / accept; else `other` (e.g. "
            "swgwebdlp `tobitglass`, Aperture activities like `download`); NULL without an action. So blocked "
            "wins over alerted over allowed: `Alert, Blocked, DLP, Notify` is `blocked`.",
            "object_name": "What was acted on, never `''` or `[]`: access the file, email subject, else the URL; "
            "swgweb the URL, else `requestdomain` + `uri`; swgwebdlp the first of its `filename` list, else the "
            "URL, else `requestdomain` + `uri`; cloud types the file (else `filelink`); health types the URL; "
            "Aperture `item_name` (activity_monitoring: else `target_name`).",
            "url": "The URL, where the source has one: Forcepoint `url` (admin: the admin page path; cloudaudit, "
            "cloudsummary: `filelink`); Aperture incident `item_cloud_url`.",
            "domain": "The destination domain, lower case: swgweb / swgwebdlp `requestdomain`, else the host of "
            "`url` (NULL when `url` is only a path).",
            "category": "Web categories (swgweb, swgwebdlp): the `webcategories` list joined with `, `, else "
            "`bgcategories`.",
            "http_method": "HTTP method, upper case: `requestmethod` (swgweb, swgwebdlp, healthproxy, "
            "healthsystem), else `httpmethod`.",
            "response_code": "HTTP response code (`responsecode`), where the source sends one.",
            "severity": "Aperture severity 0-5 (activity_monitoring, incident, policy_violation). NULL for "
            "Forcepoint: its records carry no severity and the vendor documents no mapping from its fields.",
            "event_id": "The source row's `event_id`.",
            "raw": "The source row's `raw`: the event as received, JSON text.",
            "bytes_out": "Uploaded bytes, where the source reports them (swgweb, swgwebdlp, ztna "
            "`uploadedbytes`).",
            "bytes_in": "Downloaded bytes, where the source reports them (swgweb, swgwebdlp, ztna `size`).",
        },
    },
    "incidents": {
        "grain": "incident: an Aperture `incident_id`, or a Forcepoint DLP hit (one per event)",
        "key": "(`vendor`, `log_type`, `incident_id`)",
        "about": "Aperture: one row per `incident_id`, combining the latest incident record "
        "(`aperture.incident_current`), "
        "its policy violations (the last one's action, their count) and its first remediation; an id seen only "
        "in violations or remediations is an incident too. Forcepoint: every `swgwebdlp` record and every "
        "`access` / `cloudaudit` record with a DLP pattern is one DLP hit (`status` = `detected`), except a "
        "`swgwebdlp` record that matched no pattern and was allowed (a scanned transfer, no policy: it stays in "
        "`analytics.events`). Text columns are trimmed and never `''` (an empty value is NULL).",
        "columns": {
            "vendor": "`forcepoint` or `aperture`.",
            "log_type": "The type whose records define the incident: Aperture `incident` (or `policy_violation` / "
            "`remediation` for an id seen only there); Forcepoint `swgwebdlp`, `access` or `cloudaudit`.",
            "incident_id": "Aperture `incident_id`; for a Forcepoint DLP hit its `event_id`.",
            "event_day": "UTC day of `first_seen`.",
            "first_seen": "Earliest incident or policy-violation record of the incident. A remediation does not "
            "make it earlier (it can be the first record to arrive: the incident record may have expired from "
            "the queue); only for an id seen in remediations alone is it the first remediation. A DLP hit's "
            "event time.",
            "last_seen": "Latest record of the incident (remediations included); a DLP hit's event time.",
            "last_edited": "Aperture `datetime_edited` of the latest incident record.",
            "severity": "Aperture severity 0-5 (of the latest incident record, else the highest violation). NULL "
            "for Forcepoint DLP hits: Forcepoint records carry no severity field and the vendor documents no "
            "severity for DLP matches, so none is made up.",
            "status": "`open` or `remediated` (Aperture); `detected` (Forcepoint).",
            "user_name": "The user: Aperture `item_owner`; Forcepoint `user` (swgwebdlp: else `firstname` + "
            "`lastname`; cloudaudit: else `actor`).",
            "user_email": "The user's email: Aperture `item_owner_email`; Forcepoint `email` (cloudaudit: else an "
            "e-mail `actor`, else `owner`); else `user_name` when it is an e-mail address.",
            "user_key": "As in `analytics.events`: `lower(user_email)`, else the e-mail the name resolves to "
            "(`analytics.identities`), else `lower(user_name)`.",
            "app_name": "Aperture `cloud_app_instance`; Forcepoint `application` (for swgwebdlp often empty or "
            'just "Web Browsing": see `domain`).',
            "object_name": "The item at risk, never `''` or `[]`: Aperture `item_name`; Forcepoint swgwebdlp the "
            "first of its `filename` list, else the URL, else `requestdomain` + `uri`; access the file name, "
            "email subject or URL; cloudaudit the file name (else `filelink`).",
            "domain": "Forcepoint DLP hits: the destination domain (`requestdomain`, else the host of the URL), "
            "lower case; NULL for Aperture.",
            "policy": "`policy_names` joined with `, ` (text, for filters and existing queries).",
            "policy_names": "Every distinct policy name the incident arrived with, sorted: Aperture "
            "`policy_rule_name` of all its incident, violation and remediation records (one incident can come "
            "with two); Forcepoint the DLP pattern(s) matched (swgwebdlp `dlppattern` list; access `dlppattern`, "
            "cloudaudit `patterns` as one element).",
            "action": "Action on the last policy violation (Aperture); the DLP action (`dlpaction`, else "
            "`action`) (Forcepoint).",
            "exposure": "Aperture exposure of the latest incident record in lower case: public, external, company "
            "or internal (the API mixes case).",
            "violations": "Number of Aperture policy violations of the incident (0: none arrived). NULL for "
            "Forcepoint: it sends no violation records (as for `severity`, nothing is made up; 0 would read as "
            "'no violation' on a DLP hit).",
            "remediation_action": "`action_taken` of the first remediation.",
            "remediated_by": "`action_taken_by` of the first remediation (`Aperture` when automated).",
            "remediated_at": "Time of the first remediation.",
            "time_to_remediate": "`remediated_at - first_seen`, never negative: NULL while open, and NULL when "
            "unknown (the first remediation is earlier than every incident / violation record, or there is none "
            "of those).",
            "event_id": "The record the row's attributes come from.",
        },
    },
    "identities": {
        "grain": "person: an e-mail address (`user_key`)",
        "key": "`user_key`",
        "about": "The people of both vendors, one row per e-mail address, learned from the records that carry "
        "both a display name and an e-mail: Forcepoint `user` (swgweb, swgwebdlp: `firstname` + `lastname`) "
        "with `email`, Aperture `item_owner` with `item_owner_email`. A record with only a display name (Aperture "
        "`user` when it is not an address, a remediation without `item_owner_email`) is keyed on the e-mail "
        "that name went with, in `analytics.events`, `analytics.incidents` and `analytics.activity_daily`, when "
        "it went with exactly one; a name seen with two or more addresses is ambiguous: its records keep "
        "`lower(user_name)` as key, it is listed in `ambiguous_names` of each address, and the build "
        "counts them (`ambiguous_names` in the refresh report, printed by `python -m log_assets.warehouse "
        "sync`). A pair learned on a later day keys the earlier days' "
        "records too (they are recomputed and published again). Neither vendor sends a user id in its "
        "records, so there is no vendor id column.",
        "columns": {
            "event_day": "UTC day of `last_seen` (the table's partition: a sync rewrites the few days its "
            "active people were last seen on).",
            "user_key": "The person: the lower-cased e-mail address, as `user_key` everywhere.",
            "display_name": "The display name most of the person's records carry (then the smallest).",
            "display_names": "Every display name seen with the address (sorted), ambiguous names apart.",
            "email": "The address as the records spell it (the smallest spelling).",
            "vendors": "The vendors whose records are keyed on the person, sorted.",
            "first_seen": "The person's earliest record (by address or by resolved name).",
            "last_seen": "The person's latest record.",
            "events": "Number of records keyed on the person (in `analytics.events`).",
            "ambiguous_names": "Display names seen with this address that went with another address too: their "
            "name-only records are not keyed on it.",
        },
    },
    "activity_daily": {
        "grain": "UTC day × vendor × user_key × app_name × action (NULLs group together)",
        "key": "(`event_day`, `vendor`, `user_key`, `app_name`, `action`)",
        "about": "`analytics.events` summed per day: how much each user did in each application, and the bytes "
        "moved. Health telemetry is included (filter it in `analytics.events` with `event_class`).",
        "columns": {
            "event_day": "UTC day.",
            "vendor": "`forcepoint` or `aperture`.",
            "user_key": "As in `analytics.events`: one person across both vendors.",
            "user_name": "The smallest `user_name` of the group's events (a key can come with several spellings).",
            "user_email": "The smallest `user_email` of the group's events.",
            "app_name": "As in `analytics.events`.",
            "action": "As in `analytics.events`.",
            "events": "Number of events.",
            "bytes_out": "Uploaded bytes (NULL where the sources report none).",
            "bytes_in": "Downloaded bytes (NULL where the sources report none).",
            "source_ips": "Number of distinct source IPs.",
        },
    },
}

LATEST = {
    (FORCEPOINT, "cloudsummary_current"): {
        "base": "cloudsummary",
        "grain": "file (`fileid`): its current status",
        "key": "`fileid`; of its records the one with the latest `event_time`, then the latest `ingested_at`, "
        "then the largest `event_id`",
        "about": "The latest `forcepoint.cloudsummary` record of each file: where every file stands now. "
        "Same columns as `forcepoint.cloudsummary`.",
    },
    (APERTURE, "incident_current"): {
        "base": "incident",
        "grain": "incident (`incident_id`): its latest record",
        "key": "`incident_id`; of its records the one with the latest `event_time`, then the latest "
        "`datetime_edited`, "
        "then the latest `ingested_at`, then the largest `event_id`",
        "about": "The latest `aperture.incident` record of each incident. Same columns as `aperture.incident`.",
    },
}

LOADS = {
    "table_name": "The per-type table (`<vendor>.<log_type>`).",
    "vendor": "`forcepoint` or `aperture`.",
    "log_type": "The log type.",
    "event_day": "The lake day (partition) loaded.",
    "lake_files": "Number of lake files of the day.",
    "lake_signature": "Fingerprint of the day's lake files (names, sizes, times): a change triggers a reload.",
    "lake_rows": "Rows in the day's lake files (duplicates included).",
    "rows": "Rows the table holds for the day after deduplication.",
    "max_event_time": "Newest `event_time` of the day.",
    "loaded_at": "When the day was loaded.",
    "seq": "The write batch that loaded it.",
}


# ---------------------------------------------------------------------------------------------


def dedup_key(lt: LogType) -> str:
    """How a per-type table's event_id is made (see forcepoint/parse.py, aperture/parse.py)."""
    if lt.vendor == APERTURE:
        text = (
            "`event_id` = SHA-256 of the event's canonical JSON (the API has no event id): byte-identical "
            "repeats are one row, different events never merge"
        )
        natural = lt.extra.get("natural_key")
        if natural:
            text += f"; `{natural}` is the natural key and recurs across records"
        return text
    if lt.key_fields:
        fields = " / ".join(f"`{f}`" for f in lt.key_fields)
        first = "the first present of " if len(lt.key_fields) > 1 else ""
        return f"`event_id` = {first}{fields}"
    prefix = f"`<{lt.key_prefix_field}>:` + " if lt.key_prefix_field else ""
    return (
        f"`event_id` = {prefix}a hash of the record's identifying fields (those of collector version 1.0.1): "
        "a re-delivery is one row, another record of the same file (a new scan or status) is another"
    )


# Where a field is known from (catalog Field.documented / Field.real), as a note after its meaning.
SEEN_NOT_DOCUMENTED = " *Seen in real records; not in the vendor's Data Keys table.*"
DOCUMENTED_NOT_SEEN = " *Documented by the vendor; not seen in real records (NULL unless a tenant sends it).*"
NOT_IN_CATALOG = (
    "*Seen in data, not in the catalog*: a field that arrived in the records (schema evolution), typed as "
    "text; add it to `log_assets/catalog.py` and describe it here."
)


def provenance(lt: LogType | None, column: str) -> str:
    """The note on where a per-type column's field is known from ('' for one both documented and seen)."""
    if lt is None:
        return ""
    fields = {f.name: f for f in lt.fields}
    f = fields.get(column)
    if f is None:  # a part of a LOCATION field: as its field
        f = next((fields.get(column[: -len(p) - 1]) for p in LOCATION_PARTS if column.endswith("_" + p)), None)
    if f is None:
        return ""
    return (SEEN_NOT_DOCUMENTED if not f.documented else "") + (DOCUMENTED_NOT_SEEN if not f.real else "")


def field_doc(vendor: str, log_type: str, name: str) -> str | None:
    """A vendor column's meaning: this type's, else the field's across the vendor's types, else the
    catalog entry's own `Field.doc` (where a new type describes its new fields)."""
    if vendor == FORCEPOINT:
        meaning = FP_BY_TYPE.get((log_type, name)) or FP_FIELDS.get(name)
    else:
        meaning = AP_BY_TYPE.get((log_type, name)) or AP_FIELDS.get(name)
    lt = CATALOG.get((vendor, log_type))
    if meaning or lt is None:
        return meaning
    return next((f.doc for f in lt.fields if f.name == name and f.doc), None)


def short_type(t: str) -> str:
    return {"TIMESTAMP WITH TIME ZONE": "TIMESTAMPTZ"}.get(t, t)


def _split_top_level(text: str) -> list[str]:
    parts, depth, quote, cur = [], 0, False, []
    for ch in text:
        if ch == "'":
            quote = not quote
        elif not quote and ch == "(":
            depth += 1
        elif not quote and ch == ")":
            depth -= 1
        if ch == "," and depth == 0 and not quote:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [" ".join(p.split()) for p in parts if p.strip()]


def events_mapping() -> dict[str, list[tuple[str, str]]]:
    """analytics.events column <- source expression, per log type: what the warehouse maps each
    cataloged type with (its catalog entry, or its section in sql/events.sql), then the sections
    for the types the catalog does not know."""
    keywords = {k for (k,) in duckdb.sql("SELECT keyword_name FROM duckdb_keywords()").fetchall()}

    def shown(name: str) -> str:  # a field's name as SQL shows it: quoted where it is a keyword
        return f'"{name}"' if name in keywords else name

    out: dict[str, list[tuple[str, str]]] = {}
    bodies = {}
    for lt in CATALOG.values():
        if from_section(lt):
            bodies[section_name(lt)] = sections("events")[section_name(lt)]
        else:
            out[section_name(lt)] = [(col, " ".join(expr.split())) for col, expr in expressions(lt, shown)]
    bodies.update((name, body) for name, body in sections("events").items() if name.endswith(".*"))
    for name, body in bodies.items():
        text = "\n".join(line for line in body.splitlines() if not line.lstrip().startswith("--"))
        pairs = []
        for item in _split_top_level(text):
            m = re.match(r"(?s)(.*)\s+AS\s+(\w+)$", item)
            expr, col = (m.group(1), m.group(2)) if m else (item, item)
            pairs.append((col.strip('"'), expr))
        out[name] = pairs
    order = [section_name(lt) for lt in CATALOG.values()] + sorted(bodies)
    return {name: out[name] for name in order if name in out}


def _table(rows: list[tuple[str, str, str]]) -> list[str]:
    lines = ["| column | type | meaning |", "|---|---|---|"]
    for name, type_, meaning in rows:
        lines.append(f"| `{name}` | {type_} | {meaning.replace('|', '&#124;')} |")
    return lines


def build(con) -> tuple[str, list[str]]:
    """docs/tables.md's text, and the columns without a description."""
    text, missing, _ = build_report(con)
    return text, missing


def build_report(con) -> tuple[str, list[str], list[str]]:
    """docs/tables.md's text, the columns without a description, and the columns not in the catalog."""
    cols: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for schema, table, column, type_ in con.sql(
        "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema IN ('analytics', 'forcepoint', 'aperture', '_warehouse') "
        "ORDER BY table_schema, table_name, ordinal_position"
    ).fetchall():
        cols.setdefault((schema, table), []).append((column, short_type(type_)))
    missing: list[str] = []
    uncataloged: list[str] = []

    def describe(schema: str, table: str, column: str, meaning: str | None, what: str = "") -> str:
        if meaning:
            return meaning
        missing.append(f"{schema}.{table}.{column}")
        return f"(no description{what})"

    out = [
        "# Tables",
        "",
        "Every table and column of the lake and the warehouse. Generated by `docs/build_tables_md.py` from a",
        "built warehouse (`information_schema.columns`), the catalog (`log_assets/catalog.py`) and the",
        "descriptions in that script: edit them there, then run `python docs/build_tables_md.py <home>`.",
        "Field meanings of the vendor columns follow the vendors' API pages.",
        "",
        "## The lake",
        "",
        "Apache Iceberg tables `<vendor>.<log_type>` (vendor `forcepoint` or `aperture`) in the SQL catalog",
        "`log_assets` (`$LOG_ASSETS_HOME/log_assets.db` by default), partitioned by `event_day`, the UTC day",
        "of `event_time`; every write is one commit. Each event is in its day once (merged by `event_id`);",
        "the warehouse deduplicates again across days. Every lake row has the common columns and",
        "`event_day`, then",
        "one typed column per field the catalog knows for its log type (documented by the vendor or seen",
        "in real records: the vendor columns listed under each table below; a field newer than the",
        'collector version fetched is NULL, and so is an empty value such as `""`, `[]` or `None`):',
        "",
        "| column | type | meaning |",
        "|---|---|---|",
        "| `event_id` | VARCHAR | The dedup key (how it is made: see each table). |",
        "| `event_time` | TIMESTAMP WITH TIME ZONE (UTC) | When the event happened, parsed from the vendor's time "
        "field. |",
        "| `vendor` | VARCHAR | `forcepoint` or `aperture`. |",
        "| `log_type` | VARCHAR | The log type. |",
        "| `raw` | VARCHAR | The event exactly as received, as JSON text. |",
        "| `ingested_at` | TIMESTAMP WITH TIME ZONE (UTC) | When this copy was parsed into the lake. |",
        "",
        "Log types the catalog does not know yet land in their own table with the common columns only.",
        "",
        "Read a table as of its current snapshot (or an earlier one) with pyiceberg, e.g.",
        '`Lake.open().read_days("forcepoint", "access", [date(2026, 11, 19)])` (`log_assets.lake.lake`),',
        "or any engine with an Iceberg catalog. Do not glob the data folders: they also hold files of",
        "replaced snapshots until maintenance removes them.",
        "",
        "## The warehouse",
        "",
        "`$LOG_ASSETS_HOME/warehouse.duckdb`, opened read-only (`python -m log_assets.warehouse sql`, or",
        "`log_assets.warehouse.connect_readonly` in Python; see `log_assets/warehouse/README.md`). Times are",
        "TIMESTAMPTZ in UTC and every `event_day` is a UTC day. Three schemas:",
        "",
        "- `analytics`: both vendors in one shape, for analysts;",
        "- `forcepoint`, `aperture`: one table per log type (deduplicated: one row per `event_id`), plus the",
        "  latest-state tables `forcepoint.cloudsummary_current` and `aperture.incident_current`.",
        "",
        "Of several copies of one event the kept row has the earliest `event_time`, then the latest",
        "`ingested_at`, then the smallest `raw`.",
        "",
        "| table | one row per | dedup key |",
        "|---|---|---|",
    ]
    index_at = len(out)
    body: list[str] = []
    index: list[str] = []

    def anchor(schema: str, table: str) -> str:
        # GitHub's heading ids: lower case, punctuation other than - and _ dropped.
        return re.sub(r"[^a-z0-9_-]", "", f"{schema}.{table}".lower())

    # analytics
    body += ["", "## Schema `analytics`"]
    for table, info in ANALYTICS.items():
        columns = cols.get(("analytics", table))
        if columns is None:
            missing.append(f"analytics.{table} (table not in the warehouse)")
            continue
        index.append(f"| [`analytics.{table}`](#{anchor('analytics', table)}) | {info['grain']} | {info['key']} |")
        body += [
            "",
            f"### analytics.{table}",
            "",
            info["about"],
            "",
            f"One row per {info['grain']}. Key: {info['key']}.",
            "",
        ]
        body += _table([(c, t, describe("analytics", table, c, info["columns"].get(c))) for c, t in columns])
        if table == "events":
            body += [
                "",
                "Where each column comes from, per log type (its catalog entry in `log_assets/catalog.py`, or",
                "its section in `sql/events.sql`; `event_time`, `event_day`, `vendor`, `log_type`, `event_id`",
                "and `raw` come from every table as they are; `user_key`, `disposition`, the e-mail fallback",
                "and the domain from `url` are derived for all of them as described above):",
                "",
            ]
            for name, pairs in events_mapping().items():
                mapped = ", ".join(f"{col} ← `{expr}`" for col, expr in pairs)
                label = f"`{name}`" if not name.endswith(".*") else f"other `{name[:-2]}` log types (from `raw`)"
                body.append(f"- {label}: {mapped}")
    for schema, table in sorted(cols):
        if schema == "analytics" and table not in ANALYTICS:
            missing.append(f"analytics.{table} (table without a description)")

    # vendor schemas
    for vendor in (FORCEPOINT, APERTURE):
        body += ["", f"## Schema `{vendor}`"]
        if vendor == FORCEPOINT:
            body += [
                "",
                "Forcepoint ONE SSE (formerly Bitglass) Log Export API, one table per `type`. Vendor columns",
                "keep the field names of the API; *cv* is the collector version that introduced the field",
                "(older versions do not send it). The vendor page gives no field list for the health types and",
                "ztna: their meanings follow the same fields of the other types. Each type's columns are what",
                "the vendor documents united with what real tenants' records carry (`api-facts.md`); a note",
                "marks a field seen in real records but not documented, or documented but not seen.",
            ]
        else:
            body += [
                "",
                "Palo Alto Networks Data Security (Aperture) Log Events API, one table per `log_type`. Vendor",
                "columns keep the field names of the API (the event's own `log_type` is the common column);",
                "a note marks a field seen in real records but not documented, or documented but not seen.",
            ]
        tables = [t for (s, t) in cols if s == vendor]
        ordered = [lt.name for lt in CATALOG.values() if lt.vendor == vendor]
        derived = [k[1] for k in LATEST if k[0] == vendor]
        ordered += sorted(t for t in tables if t not in ordered and t not in derived)
        for table in ordered:
            columns = cols.get((vendor, table))
            if columns is None:
                missing.append(f"{vendor}.{table} (catalog type not in the warehouse)")
                continue
            for name in [table] + [k[1] for k, v in LATEST.items() if k[0] == vendor and v["base"] == table]:
                columns = cols.get((vendor, name))
                if columns is None:
                    continue
                lt = CATALOG.get((vendor, table))
                if name in (k[1] for k in LATEST if k[0] == vendor):
                    info = LATEST[(vendor, name)]
                    grain, key, about = info["grain"], info["key"], info["about"]
                elif lt is not None:
                    grain, key, about = "event (`event_id`)", dedup_key(lt), lt.description
                else:
                    grain, key = "event (`event_id`)", "`event_id` (as for the vendor's other types)"
                    about = "A log type the catalog does not know yet: the common columns, the event in `raw`."
                index.append(f"| [`{vendor}.{name}`](#{anchor(vendor, name)}) | {grain} | {key} |")
                body += ["", f"### {vendor}.{name}", "", about, "", f"One row per {grain}. Dedup key: {key}.", ""]
                since = {f.name: f.since for f in lt.fields} if lt is not None else {}
                known = known_columns(lt) if lt is not None else frozenset()
                rows = []
                for c, t in columns:
                    if c == "event_id" and name != table:
                        meaning = (
                            f"The `event_id` of the record kept (its row in `{vendor}.{table}`). *(common column)*"
                        )
                    elif c in COMMON:
                        meaning = COMMON[c] + " *(common column)*"
                    elif c not in known:
                        meaning = NOT_IN_CATALOG
                        uncataloged.append(f"{vendor}.{name}.{c}")
                    else:
                        meaning = describe(vendor, name, c, field_doc(vendor, table, c)) + provenance(lt, c)
                        # The collector version a field needs, where it is above what the log type needs anyway.
                        if (
                            vendor == FORCEPOINT
                            and lt is not None
                            and cv_tuple(since.get(c, lt.min_cv)) > cv_tuple(lt.min_cv)
                        ):
                            meaning += f" *cv {since[c]}*"
                    rows.append((c, t, meaning))
                body += _table(rows)

    # bookkeeping
    loads = cols.get(("_warehouse", "loads"))
    if loads:
        body += [
            "",
            "## Bookkeeping: `_warehouse.loads`",
            "",
            "What each per-type table was loaded from, per lake day: one row per (table, day).",
            "",
        ]
        body += _table([(c, t, describe("_warehouse", "loads", c, LOADS.get(c))) for c, t in loads])

    out[index_at:index_at] = index
    text = "\n".join(out + body) + "\n"
    return text, missing, uncataloged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("home", nargs="?", help="a built $LOG_ASSETS_HOME (default: $LOG_ASSETS_HOME or ./data)")
    parser.add_argument(
        "--check", action="store_true", help="fail if docs/tables.md is not what this script writes"
    )
    args = parser.parse_args(argv)
    con = connect_readonly(args.home)
    try:
        text, missing, uncataloged = build_report(con)
    finally:
        con.close()
    for m in missing:
        print(f"undescribed: {m}", file=sys.stderr)
    for u in uncataloged:
        print(f"seen in data, not in the catalog: {u}", file=sys.stderr)
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text or missing:
            print(f"{OUTPUT} is out of date: run python docs/build_tables_md.py <home>", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT}" + (f" ({len(missing)} undescribed)" if missing else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
