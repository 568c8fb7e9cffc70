"""Derived tables: the latest-state tables, analytics.events, identities, incidents, activity_daily.

Each derived table is a consumer of the change log the loads write (`_warehouse.changes`: which
days of which table were rewritten; `_warehouse.changed_keys`: which fileid / incident_id values
they touched). A refresh recomputes only the affected keys or days, in one transaction, and keeps a
cursor; a table that has no cursor yet (new, or its SQL changed) is computed in full.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from log_assets.catalog import APERTURE, APERTURE_TYPES, FORCEPOINT, FORCEPOINT_TYPES
from log_assets.warehouse.columns import follow_source
from log_assets.warehouse.eventmap import EVENT_MAPPED_COLUMNS, entry_mapping
from log_assets.warehouse.layout import TableRef
from log_assets.warehouse.opstables import OPS_TABLES, OpsTable
from log_assets.warehouse.sqlfiles import ident, sections, sql

FORCEPOINT_CLOUDSUMMARY = TableRef("forcepoint", "cloudsummary")
APERTURE_INCIDENT = TableRef("aperture", "incident")
APERTURE_VIOLATION = TableRef("aperture", "policy_violation")
APERTURE_REMEDIATION = TableRef("aperture", "remediation")
FORCEPOINT_DLP_SOURCES = (
    TableRef("forcepoint", "swgwebdlp"),
    TableRef("forcepoint", "access"),
    TableRef("forcepoint", "cloudaudit"),
)

EVENTS = TableRef("analytics", "events")
# Not a table: the change log's name for the days (and Aperture incident ids) whose records' user_key
# changed because a display name resolves to another address (Identities below). The tables that
# follow user_key recompute them; the catalog publishes analytics.events of those days again.
USER_KEYS = TableRef("_warehouse", "user_keys")
IDENTITIES = TableRef("analytics", "identities")

# Every source row has these; they are passed through as they are.
EVENT_PASSED_COLUMNS = ("event_time", "event_day", "vendor", "log_type", "event_id", "raw")


@dataclass
class RefreshReport:
    table: str
    full: bool
    keys: int = 0  # keys recomputed (keyed tables)
    days: int = 0  # days recomputed (day-based tables)
    rows: int = 0  # rows in the table afterwards
    figures: dict[str, int] = field(default_factory=dict)  # what else the table reports (e.g. ambiguous names)


class Derived:
    ref: TableRef
    # Source tables whose changed keys this table follows, and the key column.
    keyed_sources: dict[TableRef, str] = {}

    @property
    def reads(self) -> tuple[TableRef, ...]:
        """The tables (or view) it is computed from."""
        raise NotImplementedError

    def follow(self, w) -> None:
        """Give the table the columns its sources gained (a table of named columns has nothing to do)."""

    def create(self, w, table: TableRef) -> None:
        """Create `table`, empty, with this table's columns (its statement in sql/tables.sql)."""
        w.run("tables", self.ref.key, table=table.sql)

    def ensure(self, w) -> None:
        """Create the table; one whose columns no longer match its statement is rebuilt in full."""
        if w.table_exists(self.ref):
            self.follow(w)
        probe = TableRef("_warehouse", f"_probe_{self.ref.name}")
        w.run("tables", "drop", table=probe.sql)
        self.create(w, probe)
        wanted = w.columns(probe)
        w.run("tables", "drop", table=probe.sql)
        if w.table_exists(self.ref):
            if w.columns(self.ref) == wanted:
                return
            w.log.info("%s: columns changed; rebuilding it", self.ref.key)
            w.run("tables", "drop", table=self.ref.sql)
        self.create(w, self.ref)
        w.drop_cursor(self.ref.key)

    def version(self) -> str:
        """Changes when the SQL that computes the table changes: then it is recomputed in full."""
        return hashlib.sha1("\0".join(self.statements()).encode()).hexdigest()[:16]

    def statements(self) -> list[str]:
        raise NotImplementedError

    def refresh(self, w) -> RefreshReport:
        cur = w.cursor(self.ref.key)
        version = self.version()
        full = cur is None or cur[1] != version
        with w.transaction():
            seq = w.new_batch(f"refresh {self.ref.key}")
            self.follow(w)
            report = RefreshReport(self.ref.key, full)
            if full:
                self.full(w, seq, report)
            else:
                self.update(w, seq, cur[0], report)
            w.set_cursor(self.ref.key, seq, version)
            report.rows = w.row_count(self.ref)
        w.log.info(
            "%s: %s refresh, %d keys, %d days, %d rows",
            self.ref.key,
            "full" if full else "incremental",
            report.keys,
            report.days,
            report.rows,
        )
        return report

    def full(self, w, seq: int, report: RefreshReport) -> None:
        self.replace(w, seq, "true", self.select_all())

    def replace(self, w, seq: int, where: str, select: str) -> None:
        logged = {"seq": seq, "table_name": self.ref.key}
        w.run("derive", "log_rows", logged, table=self.ref.sql, where=where)
        w.run("derive", "delete_rows", table=self.ref.sql, where=where)
        w.run("derive", "insert_rows", table=self.ref.sql, select=select)
        w.run("derive", "log_rows", logged, table=self.ref.sql, where=where)

    def pending_keys(self, w, since: int, tables) -> int:
        w.run("derive", "pending_keys", {"since": since, "tables": [t.key for t in tables]})
        return w.count("_keys")

    def pending_days(self, w, since: int, tables) -> int:
        w.run("derive", "pending_days", {"since": since, "tables": [t.key for t in tables]})
        return w.count("_days")

    def select_all(self) -> str:
        raise NotImplementedError

    def update(self, w, seq: int, since: int, report: RefreshReport) -> None:
        raise NotImplementedError


class LatestPerKey(Derived):
    """forcepoint.cloudsummary_current, aperture.incident_current: the latest row per key."""

    def __init__(self, ref: TableRef, source: TableRef, key: str, order: str):
        self.ref, self.source, self.key, self.order = ref, source, key, order
        self.keyed_sources = {source: key}

    @property
    def reads(self) -> tuple[TableRef, ...]:
        return (self.source,)

    def follow(self, w) -> None:
        """The source's columns, new fields included: a column the source gained is added here in the
        same transaction as the rows that carry it (NULL in the rows already here, as in the source's
        rows that came before it)."""
        follow_source(w, self.ref, self.source)

    def select(self, key_filter: str) -> str:
        return sql(
            "latest",
            "select",
            source=self.source.sql,
            key=ident(self.key),
            key_filter=key_filter,
            order=sql("latest", self.order),
        )

    def statements(self) -> list[str]:
        return [self.select("true")]

    def select_all(self) -> str:
        return self.select("true")

    def update(self, w, seq, since, report) -> None:
        report.keys = self.pending_keys(w, since, [self.source])
        if not report.keys:
            return
        report.days = self.pending_days(w, since, [self.source])
        slots = {"source": self.source.sql, "target": self.ref.sql, "key": ident(self.key)}
        w.run("latest", "candidates", **slots)
        w.run("latest", "stale", **slots)
        w.run("latest", "merge", order=sql("latest", self.order), **slots)
        if w.count("_stale"):
            stale = sql("derive", "key_filter", column=ident(self.key), keys="_stale")
            w.run("latest", "add_stale", select=self.select(stale))
        w.run("latest", "to_replace", **slots)
        rows = sql("derive", "key_filter", column=ident(self.key), keys="_replace")
        self.replace(w, seq, rows, sql("latest", "replaced", key=ident(self.key)))


class Incidents(Derived):
    """analytics.incidents: Aperture incidents by incident_id, Forcepoint DLP hits by day."""

    ref = TableRef("analytics", "incidents")
    keyed_sources = {
        APERTURE_INCIDENT: "incident_id",
        APERTURE_VIOLATION: "incident_id",
        APERTURE_REMEDIATION: "incident_id",
    }

    @property
    def reads(self) -> tuple[TableRef, ...]:
        return (*self.keyed_sources, *FORCEPOINT_DLP_SOURCES, IDENTITIES)

    def shape(self) -> str:
        email = "coalesce(user_email, CASE WHEN user_name LIKE '%_@_%' THEN user_name END)"
        return sql("incidents", "shape", user_key=sql("identities", "resolve", email=email, name="user_name"))

    def aperture(self, key_filter: str) -> str:
        return sql(
            "incidents",
            "aperture",
            key_filter=key_filter,
            incident_order=sql("latest", "incident_order"),
            shape=self.shape(),
        )

    def forcepoint(self, day_filter: str) -> str:
        return sql(
            "incidents",
            "forcepoint",
            day_filter=day_filter,
            shape=self.shape(),
            disposition=sql("tables", "disposition", value='"action"'),
        )

    def statements(self) -> list[str]:
        return [self.aperture("true"), self.forcepoint("true")]

    def select_all(self) -> str:
        return sql("incidents", "all", aperture=self.aperture("true"), forcepoint=self.forcepoint("true"))

    def update(self, w, seq, since, report) -> None:
        report.keys = self.pending_keys(w, since, [*self.keyed_sources, USER_KEYS])
        if report.keys:
            key_filter = sql("derive", "key_filter", column="incident_id", keys="_keys")
            self.replace(
                w, seq, sql("incidents", "aperture_rows", key_filter=key_filter), self.aperture(key_filter)
            )
        report.days = self.pending_days(w, since, [*FORCEPOINT_DLP_SOURCES, USER_KEYS])
        if report.days:
            day_filter = sql("derive", "day_filter")
            self.replace(
                w, seq, sql("incidents", "forcepoint_rows", day_filter=day_filter), self.forcepoint(day_filter)
            )


class ActivityDaily(Derived):
    """analytics.activity_daily: recomputed for every day any per-type table rewrote."""

    ref = TableRef("analytics", "activity_daily")

    @property
    def reads(self) -> tuple[TableRef, ...]:
        return (EVENTS, IDENTITIES)

    def select(self, day_filter: str) -> str:
        return sql("activity", "select", day_filter=day_filter)

    def statements(self) -> list[str]:
        return [self.select("true")]

    def select_all(self) -> str:
        return self.select("true")

    def update(self, w, seq, since, report) -> None:
        report.days = self.pending_days(w, since, [*(s.ref for s in w.sources()), USER_KEYS])
        if report.days:
            day_filter = sql("derive", "day_filter")
            self.replace(w, seq, day_filter, self.select(day_filter))


# Forcepoint types whose e-mail column may be another person's (a file's owner beside the actor).
OWNER_EMAIL_TYPES = frozenset({"cloudaudit", "cloudsummary"})


def one_person_types() -> str:
    """The SQL condition on analytics.events' vendor and log_type: the records whose user_name and
    user_email are one person's (every cataloged type but those that fall back to an owner)."""

    def listed(names) -> str:
        return ", ".join(f"'{n}'" for n in sorted(names))

    fp = listed(set(FORCEPOINT_TYPES) - OWNER_EMAIL_TYPES)
    return (
        f"((vendor = '{FORCEPOINT}' AND log_type IN ({fp})) OR (vendor = '{APERTURE}' AND log_type IN "
        f"({listed(APERTURE_TYPES)})))"
    )


class Identities(Derived):
    """analytics.identities: one row per person (an e-mail address) with the display names, vendors and
    events keyed on it; display names seen with one address resolve to it in analytics.events."""

    ref = IDENTITIES

    @property
    def reads(self) -> tuple[TableRef, ...]:
        return (EVENTS,)

    def days(self, day_filter: str) -> str:
        return sql("identities", "days", day_filter=day_filter, one_person=one_person_types())

    def statements(self) -> list[str]:
        return [self.days("true"), sql("identities", "select")]

    def full(self, w, seq: int, report: RefreshReport) -> None:
        self.learn(w, seq, "true", report)

    def update(self, w, seq, since, report) -> None:
        report.days = self.pending_days(w, since, [s.ref for s in w.sources()])
        if report.days:
            self.learn(w, seq, sql("derive", "day_filter"), report)
        report.figures["ambiguous_names"] = w.run("identities", "ambiguous").fetchone()[0]

    def learn(self, w, seq: int, day_filter: str, report: RefreshReport) -> None:
        """Recount the days, then the name map; the days and incidents whose user_key the new map
        changes are logged (USER_KEYS) for the tables that follow user_key; then the people whose row
        changed are replaced."""
        w.run("identities", "delete_days", day_filter=day_filter)
        w.run("identities", "insert_days", select=self.days(day_filter))
        w.run("identities", "names")
        w.run("identities", "renamed")
        w.run("identities", "clear_names")
        w.run("identities", "store_names")
        logged = {"seq": seq, "table_name": USER_KEYS.key}
        if w.count("_renamed"):
            w.run("identities", "log_renamed_days", logged)
            w.run("identities", "log_renamed_incidents", logged)
        report.keys = w.count("_renamed")
        report.figures["ambiguous_names"] = w.run("identities", "ambiguous").fetchone()[0]
        w.run("identities", "compute", select=sql("identities", "select"))
        w.run("identities", "changed")
        rows = sql("derive", "key_filter", column="user_key", keys="_people")
        self.replace(w, seq, rows, sql("identities", "changed_rows"))


DERIVED: tuple[Derived | OpsTable, ...] = (
    LatestPerKey(
        TableRef("forcepoint", "cloudsummary_current"), FORCEPOINT_CLOUDSUMMARY, "fileid", "cloudsummary_order"
    ),
    LatestPerKey(TableRef("aperture", "incident_current"), APERTURE_INCIDENT, "incident_id", "incident_order"),
    # Before the tables that follow user_key: they recompute what its new name map changed.
    Identities(),
    Incidents(),
    ActivityDaily(),
    *OPS_TABLES,  # ops.ingest_audit, ops.source_health: from the state database
)

# Per-type tables whose loads log the key values they touch, for the keyed tables above.
CHANGE_KEYS: dict[TableRef, str] = {}
for _d in DERIVED:
    for _source, _key in _d.keyed_sources.items():
        assert CHANGE_KEYS.setdefault(_source, _key) == _key
del _d, _source, _key


def define_events_view(w) -> None:
    """analytics.events: one SELECT per per-type table, mapped by sql/events.sql where it has a section
    for the type, else by the type's catalog entry (warehouse.eventmap)."""
    mappings = sections("events")
    shape = sql("tables", "events_shape", disposition=sql("tables", "disposition", value='"action"'))
    branches = []
    for src in w.sources():
        fragment = mappings.get(src.ref.key if src.cataloged else f"{src.ref.schema}.*")
        if fragment is None and src.cataloged:
            fragment = entry_mapping(src.lt)
        if fragment is None:
            raise KeyError(f"sql/events.sql has no section for {src.ref.key}")
        source = sql("tables", "events_source", mapping=fragment, table=src.ref.sql)
        provided = set(w.conn.sql(source).columns)
        columns = ", ".join(
            [ident(name) for name in EVENT_PASSED_COLUMNS]
            + [
                sql(
                    "tables",
                    "events_text_column" if type_ == "VARCHAR" else "events_column",
                    value=ident(name) if name in provided else "NULL",
                    type=type_,
                    name=ident(name),
                )
                for name, type_ in EVENT_MAPPED_COLUMNS
            ]
        )
        branches.append(sql("tables", "events_branch", shape=shape, columns=columns, source=source))
    w.conn.execute(sql("tables", "events_view", table=EVENTS.sql, body="\nUNION ALL\n".join(branches)))
