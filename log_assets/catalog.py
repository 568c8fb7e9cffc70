"""The catalog: one entry per vendor x log type.

Everything that differs between log types lives here — documented fields and their types, the
collector version (`cv`) a field needs, the time field, the dedup key and the token style — so
that asset creation, parsing, the simulator and the warehouse are all driven by the same table.
Adding a log type is one entry here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

FORCEPOINT = "forcepoint"
APERTURE = "aperture"

# Column types used across the lake: the Arrow / DuckDB type each maps to is decided in one place
# (`log_assets.lake.schema`).
STRING = "string"
INT = "int64"
FLOAT = "float64"

# Columns every lake row has, in this order, before the typed vendor columns.
COMMON_COLUMNS = ("event_id", "event_time", "vendor", "log_type", "raw", "ingested_at")


@dataclass(frozen=True)
class Field:
    name: str
    type: str = STRING
    since: str = "1.0.1"  # Forcepoint collector version (cv) that introduced the field
    doc: str = ""


@dataclass(frozen=True)
class LogType:
    vendor: str
    name: str
    description: str
    fields: tuple[Field, ...]
    time_field: str
    # Natural key: the event_id is the value of the first of these fields that is present. Empty
    # means "no natural key": the id is a hash of the canonical record (see forcepoint.parse).
    key_fields: tuple[str, ...] = ()
    # For hash-keyed Forcepoint types, the id is prefixed by this field (e.g. fileid) for readability.
    key_prefix_field: str | None = None
    min_cv: str = "1.0.1"
    # Forcepoint token style: "log_id" ({"log_id", "datetime"}) or "window" ({"start_time", "end_time", "page"}).
    token_style: str = "log_id"
    extra: dict = field(default_factory=dict, hash=False, compare=False)

    @property
    def asset_key(self) -> list[str]:
        return [self.vendor, self.name]

    def fields_for_cv(self, cv: str) -> tuple[Field, ...]:
        """Fields that exist in records fetched with collector version `cv`."""
        v = cv_tuple(cv)
        return tuple(f for f in self.fields if cv_tuple(f.since) <= v)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


def cv_tuple(cv: str) -> tuple[int, ...]:
    return tuple(int(p) for p in cv.split("."))


def _f(names: str, type_: str = STRING, since: str = "1.0.1") -> tuple[Field, ...]:
    return tuple(Field(n, type_, since) for n in names.split())


# ---------------------------------------------------------------------------------------------
# Forcepoint ONE SSE (Bitglass) Log Export API. Field sets follow the vendor page's Data Keys
# table (API Version column = `since`) and the real samples described in api-facts.md.
# ---------------------------------------------------------------------------------------------

_ACCESS_FIELDS = (
    _f(
        "syslogheader time application action user email device ipaddress location activity useragent request "
        "transactionid"
    )
    + _f("emailfrom emailto emailsubject emailcc emailbcc emailsenttime filename dlppattern pagetitle url")
    + _f("instancename", since="1.0.2")
    + _f("usergroup deviceguid", since="1.0.4")
    + _f("attachments dlpmatchlocations", since="1.0.5")
    + _f("policyid", since="1.0.9")
    + _f("customlocation city", since="1.1.0")
    + _f("responsecode", INT, since="1.1.4")
    + _f("httpmethod", since="1.1.4")
)

_ADMIN_FIELDS = (
    _f(
        "syslogheader time application action user email device ipaddress location activity useragent request "
        "transactionid"
    )
    + _f("usergroup deviceguid", since="1.0.4")
    + _f("customlocation city", since="1.1.0")
)

_CLOUD_COMMON = _f("syslogheader time filename owner application action fileid patterns email user")

_CLOUDAUDIT_FIELDS = (
    _CLOUD_COMMON
    + _f("dlpmatchlocations")
    + _f("orgid instancename", since="1.0.2")
    + _f("activity", since="1.0.3")
    + _f("copies", since="1.0.7")
    + _f("policyid", since="1.0.9")
    + _f("enterprisename", since="1.1.5")
    + _f("actor actoripaddress", since="1.1.7")
)

_CLOUDSUMMARY_FIELDS = (
    _CLOUD_COMMON
    + _f("size", INT)
    + _f("status folder filelink sharedwith")
    + _f("orgid instancename", since="1.0.2")
    + _f("organization", since="1.0.6")
    + _f("originalfolder originalpatterns", since="1.0.8")
    + _f("classifylabels", since="1.1.2")
    + _f("creationtime modificationtime", since="1.1.6")
)

_SWG_COMMON = (
    _f("time email user device ipaddress application action useragent url usergroup deviceguid policyid")
    + _f(
        "arguments bgcategories customcategories countrycode country customlocation city requestdomain",
        since="1.1.0",
    )
    + _f("bgcloudscore", INT, since="1.1.0")
    + _f(
        "gatewayip protocol referrer region regioncode requestmethod firstname lastname webcategoryclass "
        "webreputation",
        since="1.1.0",
    )
    + _f("lat long", FLOAT, since="1.1.0")
    + _f("requestport size uploadedbytes", INT, since="1.1.0")
    + _f("indexedtime", since="1.1.0")
)

_SWGWEB_FIELDS = (
    _f("setransactionid transactionid", since="1.1.0") + _SWG_COMMON + _f("responsecode", INT, since="1.1.4")
)

_SWGWEBDLP_FIELDS = (
    _f("transactionid", since="1.1.0")
    + _SWG_COMMON
    + _f(
        "dlppattern filename activity dlpaction doctype docextension docsha1 docsha256 docmd5 keyword "
        "threatindicator dlpip",
        since="1.1.0",
    )
)

_HEALTH_COMMON = _f("syslogheader time transactionid application action status details", since="1.1.5")

_HEALTHPROXY_FIELDS = (
    _HEALTH_COMMON
    + _f("email user ipaddress url request httpmethod useragent device", since="1.1.5")
    + _f("responsecode latencyms", INT, since="1.1.5")
)
_HEALTHAPI_FIELDS = (
    _HEALTH_COMMON
    + _f("email activity instancename apiendpoint", since="1.1.5")
    + _f("responsecode latencyms", INT, since="1.1.5")
)
_HEALTHSYSTEM_FIELDS = _HEALTH_COMMON + _f("component region", since="1.1.5")

# ZTNA has no field list on the vendor page: access-like fields plus the private-app connection.
_ZTNA_FIELDS = (
    _f(
        "syslogheader time transactionid user email ipaddress application action activity device deviceguid "
        "location usergroup policyid"
    )
    + _f("gatewayip protocol connectorname", since="1.1.0")
    + _f("requestport uploadedbytes size", INT, since="1.1.0")
)

FORCEPOINT_TYPES: dict[str, LogType] = {
    lt.name: lt
    for lt in (
        LogType(
            FORCEPOINT,
            "access",
            "Access (proxy) logs: application activity seen by the proxy.",
            _ACCESS_FIELDS,
            "time",
            ("transactionid",),
        ),
        LogType(
            FORCEPOINT,
            "admin",
            "Admin events in the Forcepoint ONE SSE admin portal.",
            _ADMIN_FIELDS,
            "time",
            ("transactionid",),
        ),
        LogType(
            FORCEPOINT,
            "cloudaudit",
            "Cloud (API) audit: every scan result for each file.",
            _CLOUDAUDIT_FIELDS,
            "time",
            key_prefix_field="fileid",
        ),
        LogType(
            FORCEPOINT,
            "cloudsummary",
            "Cloud summary: current status of files; a fileid recurs as its status changes.",
            _CLOUDSUMMARY_FIELDS,
            "time",
            key_prefix_field="fileid",
        ),
        LogType(
            FORCEPOINT,
            "swgweb",
            "Secure Web Gateway web traffic (SmartEdge agent).",
            _SWGWEB_FIELDS,
            "time",
            ("setransactionid", "transactionid"),
            min_cv="1.1.0",
            token_style="window",
        ),
        LogType(
            FORCEPOINT,
            "swgwebdlp",
            "Secure Web Gateway DLP policy actions.",
            _SWGWEBDLP_FIELDS,
            "time",
            ("transactionid",),
            min_cv="1.1.0",
            token_style="window",
        ),
        LogType(
            FORCEPOINT,
            "healthproxy",
            "Proxy health.",
            _HEALTHPROXY_FIELDS,
            "time",
            ("transactionid",),
            min_cv="1.1.5",
        ),
        LogType(
            FORCEPOINT,
            "healthapi",
            "API (cloud app backend) health.",
            _HEALTHAPI_FIELDS,
            "time",
            ("transactionid",),
            min_cv="1.1.5",
        ),
        LogType(
            FORCEPOINT,
            "healthsystem",
            "System health.",
            _HEALTHSYSTEM_FIELDS,
            "time",
            ("transactionid",),
            min_cv="1.1.5",
        ),
        LogType(FORCEPOINT, "ztna", "Zero-trust network access events.", _ZTNA_FIELDS, "time", ("transactionid",)),
    )
}

# ---------------------------------------------------------------------------------------------
# Palo Alto Networks Data Security (Aperture) Log Events API. There is no event id: event_id is a
# hash of the canonical JSON of the event (see aperture.parse); natural keys are documented here.
# ---------------------------------------------------------------------------------------------

_AP_COMMON = _f("log_type serial cloud_app_instance timestamp item_type item_name")

APERTURE_TYPES: dict[str, LogType] = {
    lt.name: lt
    for lt in (
        LogType(
            APERTURE,
            "activity_monitoring",
            "User activity in monitored cloud apps.",
            _AP_COMMON + _f("item_unique_id user source_ip location action target_name target_type"),
            "timestamp",
        ),
        LogType(
            APERTURE,
            "incident",
            "Data-security incidents (assets at risk); one incident_id recurs as it is edited.",
            _AP_COMMON
            + _f("severity", FLOAT)
            + _f("item_unique_id asset_id item_owner container_name item_creator exposure")
            + _f("occurrences_by_rule", INT)
            + _f(
                "item_owner_email item_creator_email incident_id policy_rule_name incident_category incident_owner"
            )
            + _f("collaborators datetime_edited item_cloud_url item_owner_group item_sha256")
            + _f("item_size", INT)
            + _f("item_verdict"),
            "timestamp",
            extra={"natural_key": "incident_id"},
        ),
        LogType(
            APERTURE,
            "remediation",
            "Remediation actions taken on incidents.",
            _AP_COMMON
            + _f(
                "incident_id asset_id item_owner container_name item_creator policy_rule_name action_taken "
                "action_taken_by item_owner_email item_creator_email"
            ),
            "timestamp",
            extra={"natural_key": "incident_id"},
        ),
        LogType(
            APERTURE,
            "policy_violation",
            "Policy violations.",
            _AP_COMMON
            + _f("severity", FLOAT)
            + _f(
                "incident_id asset_id item_owner item_creator policy_rule_name action_taken action_taken_by "
                "item_owner_email item_creator_email"
            ),
            "timestamp",
            extra={"natural_key": "incident_id"},
        ),
        LogType(
            APERTURE,
            "admin_audit",
            "Configuration changes and sign-ins by Data Security administrators.",
            _f(
                "log_type serial timestamp admin_id admin_role ip event_type item_type item_name field action "
                "resource_value_old resource_value_new"
            ),
            "timestamp",
        ),
    )
}

CATALOG: dict[tuple[str, str], LogType] = {
    **{(FORCEPOINT, k): v for k, v in FORCEPOINT_TYPES.items()},
    **{(APERTURE, k): v for k, v in APERTURE_TYPES.items()},
}


def log_type(vendor: str, name: str) -> LogType:
    try:
        return CATALOG[(vendor, name)]
    except KeyError:
        known = ", ".join(sorted(n for v, n in CATALOG if v == vendor))
        raise KeyError(f"unknown {vendor} log type {name!r}; known: {known}") from None


def generic_log_type(vendor: str, name: str) -> LogType:
    """A catalog entry for a log type the vendor sends but the catalog does not know yet.

    Its events are kept (common columns + raw), never dropped; adding a real entry later types them.
    """
    time_field = "timestamp" if vendor == APERTURE else "time"
    return LogType(
        vendor, name, f"Unknown {vendor} log type {name!r} (kept raw).", (Field(time_field),), time_field
    )
