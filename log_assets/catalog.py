"""The catalog: one entry per vendor x log type.

Everything that differs between log types lives here — documented fields and their types, the
collector version (`cv`) a field needs, the time field, the dedup key and the token style — so
that asset creation, parsing, the simulator and the warehouse are all driven by the same table.
Adding a log type is one entry here: its fields drive the assets, the lake schema, the simulator's
records (a generic generator for a type without a hand-written one), the per-type warehouse table,
its rows in analytics.events (`events`, below) and the docs' tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field

FORCEPOINT = "forcepoint"
APERTURE = "aperture"

# Column types used across the lake: the Arrow / DuckDB type each maps to is decided in one place
# (`log_assets.lake.schema`), and so is how a received value of each shape becomes one.
STRING = "string"
INT = "int64"
FLOAT = "float64"  # also decimals sent as text ("7.00", "80.00", lat/long)
TIMESTAMP = "timestamp"  # a time in another field than the event's (createdtime, indexedtime, ...), UTC
LIST = "list"  # a list of strings: a JSON array, a Python list or a comma list, in a string or not
LOCATION = "location"  # `City||Region||Code||CC` text, kept as it is, with its parts beside it

# The parts of a LOCATION field, as columns `<field>_<part>`.
LOCATION_PARTS = ("city", "region", "region_code", "country_code")

# Columns every lake row has, in this order, before the typed vendor columns.
COMMON_COLUMNS = ("event_id", "event_time", "vendor", "log_type", "raw", "ingested_at")


@dataclass(frozen=True)
class Field:
    name: str
    type: str = STRING
    since: str = "1.0.1"  # Forcepoint collector version (cv) that introduced the field
    doc: str = ""
    # Where the field is known from: the vendor's documentation, records of real tenants (api-facts.md),
    # or both. The simulator sends what real records carry.
    documented: bool = True
    real: bool = True


# ---------------------------------------------------------------------------------------------
# analytics.events: how a log type's columns become the normalized columns (user_name, src_ip, ...:
# warehouse.eventmap.EVENT_MAPPED_COLUMNS). Each column takes the first of its fields that has a value;
# a LIST field is joined with ', '. A vendor's convention maps the fields that mean the same in every
# type of it; an entry's `events` names its event_class and what differs from the convention. A type
# that needs more than fields (a condition, a computed value) has a section in
# warehouse/sql/events.sql, which is used instead.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Events:
    event_class: str = "other"
    # column -> its fields, first with a value wins; () leaves a column of the convention unmapped.
    columns: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # event_class is 'dlp' instead when this field holds a match (a DLP pattern).
    dlp_field: str | None = None


def events(event_class: str, dlp: str | None = None, **columns: str) -> Events:
    """An entry's mapping: `events("activity", object_name="filename url")` (fields space-separated)."""
    return Events(event_class, tuple((c, tuple(f.split())) for c, f in columns.items()), dlp)


EVENT_CONVENTIONS: dict[str, dict[str, tuple[str, ...]]] = {
    FORCEPOINT: {
        "user_name": ("user",),
        "user_email": ("email",),
        "src_ip": ("ipaddress",),
        "app_name": ("application",),
        "action": ("action",),
        "activity_name": ("activity",),
        "object_name": ("filename", "url"),
        "url": ("url",),
        "domain": ("requestdomain",),
        "http_method": ("requestmethod", "httpmethod"),
        "response_code": ("responsecode",),
        "bytes_out": ("uploadedbytes",),
    },
    APERTURE: {
        "user_name": ("user", "item_owner", "admin_id"),
        "user_email": ("item_owner_email",),
        "src_ip": ("source_ip", "ip"),
        "app_name": ("cloud_app_instance",),
        "action": ("action", "action_taken"),
        "object_name": ("item_name",),
        "url": ("item_cloud_url",),
        "severity": ("severity",),
    },
}


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
    # Its rows in analytics.events (see Events above): the vendor's convention and these differences.
    events: Events = Events()
    extra: dict = field(default_factory=dict, hash=False, compare=False)

    def __post_init__(self) -> None:
        names = set(self.field_names)
        named = [f for _, fields in self.events.columns for f in fields] + [self.events.dlp_field]
        unknown = sorted({f for f in named if f is not None and f not in names})
        if unknown:
            raise ValueError(
                f"catalog: {self.vendor} log type {self.name!r}: its events mapping names fields it does not "
                f"have: {', '.join(unknown)}; add them to its fields or fix the mapping in log_assets/catalog.py"
            )

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

    def event_columns(self) -> dict[str, tuple[str, ...]]:
        """analytics.events column -> the fields it comes from (the first with a value wins): the
        vendor's convention with this entry's differences, kept to the fields the type has."""
        names = set(self.field_names)
        merged = {**EVENT_CONVENTIONS.get(self.vendor, {}), **dict(self.events.columns)}
        out = {}
        for column, fields in merged.items():
            present = tuple(f for f in fields if f in names)
            if present:
                out[column] = present
        return out

    @property
    def real_fields(self) -> tuple[Field, ...]:
        """The fields real tenants' records carry."""
        return tuple(f for f in self.fields if f.real)


# The collector version real collectors send: fields seen only in real records date from it, so that
# the identity of hash-keyed records (fields of cv 1.0.1) does not change when they are added.
REAL_CV = "1.1.5"


def cv_tuple(cv: str) -> tuple[int, ...]:
    return tuple(int(p) for p in cv.split("."))


def _f(names: str, type_: str = STRING, since: str = "1.0.1", real: bool = True) -> tuple[Field, ...]:
    """Fields the vendor documents (and, unless `real` is False, that real records carry)."""
    return tuple(Field(n, type_, since, real=real) for n in names.split())


def _doc(names: str, type_: str = STRING, since: str = "1.0.1") -> tuple[Field, ...]:
    """Fields the vendor documents that real records have not been seen to carry."""
    return _f(names, type_, since, real=False)


def _seen(names: str, type_: str = STRING, since: str = REAL_CV) -> tuple[Field, ...]:
    """Fields real records carry that the vendor's Data Keys table leaves out."""
    return tuple(Field(n, type_, since, documented=False) for n in names.split())


# ---------------------------------------------------------------------------------------------
# Forcepoint ONE SSE (Bitglass) Log Export API. Field sets follow the vendor page's Data Keys
# table (API Version column = `since`) and the real samples described in api-facts.md.
# ---------------------------------------------------------------------------------------------

# Each type's fields are what the vendor documents united with what real records carry: `_f` both,
# `_doc` documented only (real records have not shown them: they stay NULL), `_seen` real only.

_ACCESS_FIELDS = (
    _f("syslogheader time application")
    + _f("action activity", LIST)  # comma lists: "Alert, Blocked, DLP, Notify", "Cloudstorage, Downloaded, Web"
    + _f("user email device ipaddress")
    + _f("location", LOCATION)
    + _f("useragent request transactionid")
    + _f("emailfrom emailto emailsubject emailcc emailbcc")
    + _f("emailsenttime", TIMESTAMP)
    + _f("filename dlppattern pagetitle url")
    + _f("instancename", since="1.0.2")
    + _f("usergroup", LIST, since="1.0.4")
    + _f("deviceguid", since="1.0.4")
    + _doc("attachments dlpmatchlocations", since="1.0.5")
    + _f("policyid", since="1.0.9")
    + _doc("customlocation city", since="1.1.0")
    + _doc("responsecode", INT, since="1.1.4")
    + _doc("httpmethod", since="1.1.4")
    + _seen("details orgid")
)

_ADMIN_FIELDS = (
    _f("syslogheader time application action user email device ipaddress")
    + _f("location", LOCATION)
    + _f("activity useragent request transactionid")
    + _doc("usergroup", LIST, since="1.0.4")
    + _doc("deviceguid", since="1.0.4")
    + _doc("customlocation city", since="1.1.0")
    + _seen(
        "details dlppattern emailfrom emailto emailsubject emailcc emailbcc"
    )  # details: what the admin changed
    + _seen("emailsenttime", TIMESTAMP)
    + _seen("filename pagetitle url")
)

_CLOUDAUDIT_FIELDS = (
    _f("syslogheader time filename owner application action fileid patterns")
    + _doc("email user dlpmatchlocations")
    + _doc("orgid instancename", since="1.0.2")
    + _f("activity", since="1.0.3")
    + _f("copies", since="1.0.7")
    + _f("policyid", since="1.0.9")
    + _f("enterprisename", since="1.1.5")
    + _f("actor actoripaddress", since="1.1.7")
    + _seen("createdtime modifiedtime", TIMESTAMP)  # the page says creationtime/modificationtime
    + _seen("filelink folder sharedwith status")
    + _seen("size", INT)
)

_CLOUDSUMMARY_FIELDS = (
    _f("syslogheader time filename owner application")
    + _doc("action")
    + _f("fileid patterns")
    + _doc("email user")
    + _f("size", INT)
    + _f("status", LIST)  # "Internal, Shared, DLP"
    + _f("folder filelink sharedwith")
    + _doc("orgid instancename", since="1.0.2")
    + _f("organization", since="1.0.6")
    + _f("originalfolder originalpatterns", since="1.0.8")
    + _f("classifylabels", since="1.1.2")
    + _doc("creationtime modificationtime", TIMESTAMP, since="1.1.6")
    + _seen("createdtime modifiedtime", TIMESTAMP)
    + _seen("attachments dlpmatchlocations enterprisename policyid")
)

_SWG_COMMON = (
    _seen("syslogheader")
    + _f("time email")
    + _doc("user device")
    + _f("ipaddress application action useragent url")
    + _f("usergroup", LIST)  # a Python-list or JSON-array string
    + _f("deviceguid policyid arguments")
    + _f("bgcategories customcategories", LIST, since="1.1.0")  # JSON arrays in strings
    + _f("countrycode country customlocation city requestdomain", since="1.1.0")
    + _f("bgcloudscore", FLOAT, since="1.1.0")  # "7.00"
    + _doc("gatewayip", since="1.1.0")
    + _f("protocol referrer region regioncode requestmethod firstname lastname", since="1.1.0")
    + _f("webcategoryclass", LIST, since="1.1.0")
    + _f("webreputation lat long", FLOAT, since="1.1.0")  # "80.00", "51.5072"
    + _f("requestport size uploadedbytes", INT, since="1.1.0")
    + _f("indexedtime", TIMESTAMP, since="1.1.0")  # %Y-%m-%d %H:%M:%S
    + _seen("webcategories", LIST)  # ["WR:Gambling"]
    + _seen("destinationip devicehostname uri")
)

_SWGWEB_FIELDS = (
    _f("setransactionid", since="1.1.0")
    + _doc("transactionid", since="1.1.0")
    + _SWG_COMMON
    + _doc("responsecode", INT, since="1.1.4")
)

_SWGWEBDLP_FIELDS = (
    _f("transactionid", since="1.1.0")
    + _SWG_COMMON
    + _f("dlppattern filename activity", LIST, since="1.1.0")  # JSON arrays in strings, often "[]"
    + _doc("dlpaction", since="1.1.0")
    + _f("doctype docextension docsha1 docsha256 docmd5", since="1.1.0")
    + _f("keyword threatindicator", LIST, since="1.1.0")
    + _doc("dlpip", since="1.1.0")
    + _seen("setransactionid")
)

# The health types' documented fields (action, status, details, ...) are mostly not what real records
# carry: those carry the signal in `activity` (Server4xx, "Bitglass4xx, RestAPI") and who and what was
# affected (user, email, url, responsecode).
_HEALTH_COMMON = _f("syslogheader time transactionid application", since="1.1.5") + _doc(
    "action details", since="1.1.5"
)
_HEALTH_SEEN = _seen("activity usergroup", LIST) + _seen("user email device url")

_HEALTHPROXY_FIELDS = (
    _HEALTH_COMMON
    + _doc("status", since="1.1.5")
    + _f("email user ipaddress url useragent device", since="1.1.5")
    + _doc("request httpmethod", since="1.1.5")
    + _f("responsecode", INT, since="1.1.5")
    + _doc("latencyms", INT, since="1.1.5")
    + _seen("activity usergroup", LIST)
    + _seen("deviceguid requestmethod")
    + _seen("location", LOCATION)
)
_HEALTHAPI_FIELDS = (
    _HEALTH_COMMON
    + _f("status", since="1.1.5")
    + _f("email", since="1.1.5")
    + _f("activity", LIST, since="1.1.5")
    + _doc("instancename apiendpoint", since="1.1.5")
    + _f("responsecode", INT, since="1.1.5")
    + _doc("latencyms", INT, since="1.1.5")
    + _seen("usergroup", LIST)
    + _seen("user device url fileid filename")
)
_HEALTHSYSTEM_FIELDS = (
    _HEALTH_COMMON
    + _doc("status component region", since="1.1.5")
    + _HEALTH_SEEN
    + _seen("deviceguid ipaddress requestmethod useragent")
    + _seen("location", LOCATION)
    + _seen("responsecode", INT)
)

# ZTNA has no field list on the vendor page and no public sample: access-like fields plus the
# private-app connection.
_ZTNA_FIELDS = (
    _f("syslogheader time transactionid user email ipaddress application action activity device deviceguid")
    + _f("location", LOCATION)
    + _f("usergroup", LIST)
    + _f("policyid")
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
            events=events("activity", dlp="dlppattern", object_name="filename emailsubject url pagetitle"),
        ),
        LogType(
            FORCEPOINT,
            "admin",
            "Admin events in the Forcepoint ONE SSE admin portal.",
            _ADMIN_FIELDS,
            "time",
            ("transactionid",),
            events=events("admin", object_name="url request filename"),
        ),
        LogType(
            FORCEPOINT,
            "cloudaudit",
            "Cloud (API) audit: every scan result for each file.",
            _CLOUDAUDIT_FIELDS,
            "time",
            key_prefix_field="fileid",
            # analytics.events: its section in warehouse/sql/events.sql (more than fields).
        ),
        LogType(
            FORCEPOINT,
            "cloudsummary",
            "Cloud summary: current status of files; a fileid recurs as its status changes.",
            _CLOUDSUMMARY_FIELDS,
            "time",
            key_prefix_field="fileid",
            events=events("file", user_email="email owner", object_name="filename filelink", url="filelink"),
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
            # analytics.events: its section in warehouse/sql/events.sql (more than fields).
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
            # analytics.events: its section in warehouse/sql/events.sql (more than fields).
        ),
        LogType(
            FORCEPOINT,
            "healthproxy",
            "Proxy health.",
            _HEALTHPROXY_FIELDS,
            "time",
            ("transactionid",),
            min_cv="1.1.5",
            events=events("health", object_name="url"),
        ),
        LogType(
            FORCEPOINT,
            "healthapi",
            "API (cloud app backend) health.",
            _HEALTHAPI_FIELDS,
            "time",
            ("transactionid",),
            min_cv="1.1.5",
            events=events("health", object_name="url filename apiendpoint"),
        ),
        LogType(
            FORCEPOINT,
            "healthsystem",
            "System health.",
            _HEALTHSYSTEM_FIELDS,
            "time",
            ("transactionid",),
            min_cv="1.1.5",
            events=events("health", object_name="url component"),
        ),
        LogType(
            FORCEPOINT,
            "ztna",
            "Zero-trust network access events.",
            _ZTNA_FIELDS,
            "time",
            ("transactionid",),
            events=events("activity", bytes_in="size"),
        ),
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
            _AP_COMMON
            + _doc("item_unique_id")
            + _f("user source_ip location action target_name target_type")  # user: often an e-mail address
            + _seen("severity", FLOAT, since="1.0.1"),
            "timestamp",
            events=events("activity", activity_name="action", object_name="item_name target_name"),
        ),
        LogType(
            APERTURE,
            "incident",
            "Data-security incidents (assets at risk); one incident_id recurs as it is edited.",
            _AP_COMMON
            + _f("severity", FLOAT)
            + _doc("item_unique_id")
            + _f("asset_id item_owner container_name item_creator exposure")
            + _f("occurrences_by_rule", INT)
            + _f(
                "item_owner_email item_creator_email incident_id policy_rule_name incident_category incident_owner"
            )
            + _f("collaborators")
            + _f("datetime_edited", TIMESTAMP)
            + _f("item_cloud_url item_owner_group item_sha256")
            + _f("item_size", INT)
            + _f("item_verdict"),
            "timestamp",
            events=events("incident"),
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
            events=events("incident"),
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
            events=events("incident"),
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
            events=events("admin", activity_name="event_type"),
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
