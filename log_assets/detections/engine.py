"""The detection engine: rules' candidate events -> alerts, incrementally and idempotently.

It runs in the warehouse's writer (its lock, its build file) after a sync, and keeps the tables
`detections.rules`, `detections.alerts` and `detections.suppressions` there; `publish` gives them to
readers (warehouse.duckdb) with the warehouse's other tables.

Which events to look at follows the warehouse's change log (`_warehouse.changes`: the days each
per-type table rewrote), through its own cursor: a rule is evaluated again only for the entities
that have candidate events near a changed day (the rule's window + dedup + lookback on either
side); a rule that is new or whose SQL, threshold, window or dedup changed is evaluated in full.
For each such entity the engine takes every candidate of the rule, finds where the threshold is
met within the window (sliding on event time), and groups the matches into alerts: a match joins
the alert whose dedup period (`window_start` .. `window_end`, from its first match) it falls in.
Computed alerts replace the entity's stored ones they overlap, keeping their `alert_id` and
`created_at`: a re-run, or a late event inside an alert's window, updates that alert, never adds a
second. Alerts are never deleted; a suppression (rule, entity, until) marks them `suppressed`.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import duckdb
import pyarrow as pa

from log_assets.detections import ocsf
from log_assets.detections.rules import CANDIDATE_COLUMNS, Rule, RuleError, RuleSet

CONSUMER = "detections"
SCHEMA = "detections"
NEWEST_REPORTED = 10

RULE_COLUMNS = (
    ("rule_id", "VARCHAR"),
    ("title", "VARCHAR"),
    ("description", "VARCHAR"),
    ("severity", "VARCHAR"),
    ("mitre_techniques", "VARCHAR[]"),
    ("enabled", "BOOLEAN"),
    ("source", "VARCHAR"),
    ("entity", "VARCHAR"),
    ("threshold", "INTEGER"),
    ("window_seconds", "BIGINT"),
    ("dedup_seconds", "BIGINT"),
    ("file", "VARCHAR"),
    ("version", "VARCHAR"),
)
ALERT_COLUMNS = (
    ("alert_id", "VARCHAR"),
    ("rule_id", "VARCHAR"),
    ("entity", "VARCHAR"),
    ("first_seen", "TIMESTAMPTZ"),
    ("last_seen", "TIMESTAMPTZ"),
    ("event_count", "BIGINT"),
    ("severity", "VARCHAR"),
    ("event_refs", "VARCHAR[]"),
    ("status", "VARCHAR"),
    ("created_at", "TIMESTAMPTZ"),
    ("updated_at", "TIMESTAMPTZ"),
    ("title", "VARCHAR"),
    ("window_start", "TIMESTAMPTZ"),  # the first match: the dedup period starts here ...
    ("window_end", "TIMESTAMPTZ"),  # ... and ends here (window_start + the rule's dedup)
)
SUPPRESSION_COLUMNS = (
    ("rule_id", "VARCHAR"),
    ("entity", "VARCHAR"),
    ("until", "TIMESTAMPTZ"),
    ("reason", "VARCHAR"),
)
TABLES = {"rules": RULE_COLUMNS, "alerts": ALERT_COLUMNS, "suppressions": SUPPRESSION_COLUMNS}


@dataclass
class Alert:
    alert_id: str
    rule_id: str
    entity: str
    first_seen: datetime
    last_seen: datetime
    event_count: int
    severity: str
    event_refs: list[str]
    status: str
    created_at: datetime
    updated_at: datetime
    title: str
    window_start: datetime
    window_end: datetime

    def same_content(self, other: Alert) -> bool:
        return (self.first_seen, self.last_seen, self.event_count, self.severity, sorted(self.event_refs)) == (
            other.first_seen,
            other.last_seen,
            other.event_count,
            other.severity,
            sorted(other.event_refs),
        )


@dataclass
class DetectReport:
    full: list[str] = field(default_factory=list)  # rules evaluated in full
    days: int = 0  # changed days followed
    entities: dict[str, int] = field(default_factory=dict)  # rule -> entities evaluated
    new_alerts: dict[str, int] = field(default_factory=dict)  # rule -> alerts created
    updated_alerts: dict[str, int] = field(default_factory=dict)  # rule -> alerts changed
    without_entity: dict[str, int] = field(default_factory=dict)  # rule -> candidates with no entity (skipped)
    alerts: int = 0  # rows in detections.alerts afterwards
    suppressed: int = 0
    rules: int = 0
    findings: int = 0  # rows of ocsf.detection_finding
    newest: list[Alert] = field(default_factory=list)  # the newest alerts this run created


def _table_sql(name: str) -> str:
    return f"{SCHEMA}.{name}"


def ensure_tables(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    for name, columns in TABLES.items():
        defs = ", ".join(f'"{n}" {t}' for n, t in columns)
        conn.execute(f"CREATE TABLE IF NOT EXISTS {_table_sql(name)} ({defs})")
        have = [r[0] for r in conn.execute(f"DESCRIBE {_table_sql(name)}").fetchall()]
        for n, t in columns:  # columns added by a later version
            if n not in have:
                conn.execute(f'ALTER TABLE {_table_sql(name)} ADD COLUMN "{n}" {t}')


def _candidates_sql(rule: Rule) -> str:
    distinct = "CAST(distinct_value AS VARCHAR)" if rule.distinct else "NULL::VARCHAR"
    return (
        "SELECT CAST(event_time AS TIMESTAMPTZ) AS event_time, "
        "nullif(trim(CAST(entity AS VARCHAR)), '') AS entity, "
        "CAST(vendor AS VARCHAR) || '/' || CAST(log_type AS VARCHAR) || '/' || CAST(event_id AS VARCHAR) "
        f"AS event_ref, {distinct} AS distinct_value FROM ({rule.sql}) AS candidates"
    )


def check_rule(conn: duckdb.DuckDBPyConnection, rule: Rule) -> None:
    """The rule's SQL runs here and yields the candidate columns; else a RuleError naming its file."""
    try:
        columns = {r[0] for r in conn.execute(f"DESCRIBE SELECT * FROM ({rule.sql}) AS r").fetchall()}
    except duckdb.Error as e:
        first = str(e).strip().splitlines()[0]
        raise RuleError(
            f"rule {rule.rule_id} ({rule.file}): its SQL does not run on the warehouse: {first}; fix the file"
        ) from None
    wanted = set(CANDIDATE_COLUMNS) | ({"distinct_value"} if rule.distinct else set())
    missing = sorted(wanted - columns)
    if missing:
        raise RuleError(
            f"rule {rule.rule_id} ({rule.file}): its SQL yields no column {', '.join(missing)}; it must "
            f"yield {', '.join(sorted(wanted))}"
        )


def spans(days: list[date], margin: timedelta) -> list[tuple[datetime, datetime]]:
    """The time ranges near the changed days (merged)."""
    out: list[tuple[datetime, datetime]] = []
    for d in sorted(days):
        lo = datetime(d.year, d.month, d.day, tzinfo=UTC) - margin
        hi = datetime(d.year, d.month, d.day, tzinfo=UTC) + timedelta(days=1) + margin
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def group(rule: Rule, entity: str, events: list[tuple[datetime, str, str | None]], now: datetime) -> list[Alert]:
    """The alerts of one entity from its candidates (time, ref, distinct value), sorted by time.

    A candidate matches when the entity's candidates within the rule's window before it (itself
    included) reach the threshold (distinct values when the rule counts them); the matches of one
    dedup period (from the first match) are one alert, with every candidate of their windows."""
    alerts: list[Alert] = []
    current: set[int] = set()
    anchor: datetime | None = None
    counts: Counter[str | None] = Counter()
    j = 0

    def close() -> None:
        if anchor is None:
            return
        idx = sorted(current)
        refs = sorted({events[i][1] for i in idx})
        key = f"{rule.rule_id}\0{entity}\0{anchor.isoformat()}"
        alerts.append(
            Alert(
                alert_id=hashlib.sha1(key.encode()).hexdigest()[:24],
                rule_id=rule.rule_id,
                entity=entity,
                first_seen=events[idx[0]][0],
                last_seen=events[idx[-1]][0],
                event_count=len(refs),
                severity=rule.severity,
                event_refs=refs,
                status="new",
                created_at=now,
                updated_at=now,
                title=rule.title,
                window_start=anchor,
                window_end=anchor + rule.dedup,
            )
        )

    for i, (t, ref, value) in enumerate(events):
        counts[value if rule.distinct else ref] += 1
        while events[j][0] < t - rule.window:
            old = events[j][2] if rule.distinct else events[j][1]
            counts[old] -= 1
            if not counts[old]:
                del counts[old]
            j += 1
        if len(counts) - (1 if rule.distinct and None in counts else 0) < rule.threshold:
            continue
        if anchor is None or t >= anchor + rule.dedup:
            close()
            anchor, current = t, set()
        current.update(range(j, i + 1))
    close()
    return alerts


def merge(computed: list[Alert], stored: list[Alert], now: datetime) -> tuple[list[Alert], int, int]:
    """The entity's alerts after this evaluation: computed ones take over the stored ones whose dedup
    period they overlap (keeping the first one's id and created_at); stored ones nothing overlaps
    stay. Returns (alerts, created, updated)."""
    left = sorted(stored, key=lambda a: a.window_start)
    out: list[Alert] = []
    created = updated = 0
    for c in computed:
        hits = [s for s in left if s.window_start < c.window_end and c.window_start < s.window_end]
        if not hits:
            out.append(c)
            created += 1
            continue
        first = hits[0]
        for s in hits:
            left.remove(s)
        c.alert_id, c.created_at, c.status = first.alert_id, first.created_at, first.status
        if len(hits) == 1 and c.same_content(first) and c.window_start == first.window_start:
            c.updated_at = first.updated_at
        else:
            c.updated_at = now
            updated += 1
        out.append(c)
    return out + left, created, updated


def _alerts_of(conn: duckdb.DuckDBPyConnection, rule_id: str, entities: list[str] | None) -> list[Alert]:
    names = ", ".join(f'"{n}"' for n, _ in ALERT_COLUMNS)
    where = "rule_id = $rule" + ("" if entities is None else " AND list_contains($entities, entity)")
    params: dict = {"rule": rule_id}
    if entities is not None:
        params["entities"] = entities
    rows = conn.execute(f"SELECT {names} FROM {_table_sql('alerts')} WHERE {where}", params).fetchall()
    return [Alert(*r) for r in rows]


def _alert_table(alerts: list[Alert]) -> pa.Table:
    cols = {n: [getattr(a, n) for a in alerts] for n, _ in ALERT_COLUMNS}
    types = {"event_refs": pa.list_(pa.string()), "event_count": pa.int64()}
    times = {n for n, t in ALERT_COLUMNS if t == "TIMESTAMPTZ"}
    return pa.table(
        {
            n: pa.array(v, type=pa.timestamp("us", tz="UTC") if n in times else types.get(n, pa.string()))
            for n, v in cols.items()
        }
    )


def evaluate(conn: duckdb.DuckDBPyConnection, rule: Rule, days: list[date] | None, now: datetime, report) -> None:
    """Evaluate one rule for the entities near `days` (None: every entity), storing its alerts."""
    source = _candidates_sql(rule)
    entities: list[str] | None = None
    if days is not None:
        ranges = spans(days, rule.margin)
        if not ranges:
            return
        params = [x for r in ranges for x in r]
        near = " OR ".join(
            f"(event_time >= ${2 * i + 1} AND event_time < ${2 * i + 2})" for i in range(len(ranges))
        )
        entities = [
            r[0]
            for r in conn.execute(
                f"SELECT DISTINCT entity FROM ({source}) WHERE entity IS NOT NULL AND ({near})", params
            ).fetchall()
        ]
        if not entities:
            return
    report.entities[rule.rule_id] = len(entities) if entities is not None else -1
    where = "" if entities is None else "WHERE list_contains($entities, entity)"
    rows = conn.execute(
        f"SELECT entity, event_time, event_ref, distinct_value FROM ({source}) {where} "
        "ORDER BY entity, event_time, event_ref",
        {} if entities is None else {"entities": entities},
    ).fetchall()
    by_entity: dict[str, list[tuple[datetime, str, str | None]]] = {}
    skipped = 0
    for entity, t, ref, value in rows:
        if entity is None:
            skipped += 1
        else:
            by_entity.setdefault(entity, []).append((t, ref, value))
    if skipped:
        report.without_entity[rule.rule_id] = skipped
    if entities is None:
        entities = sorted(by_entity)
        report.entities[rule.rule_id] = len(entities)
    stored: dict[str, list[Alert]] = {}
    for a in _alerts_of(conn, rule.rule_id, entities):
        stored.setdefault(a.entity, []).append(a)
    result: list[Alert] = []
    created = updated = 0
    for entity in sorted(set(by_entity) | set(stored)):
        computed = group(rule, entity, by_entity.get(entity, []), now)
        merged, c, u = merge(computed, stored.get(entity, []), now)
        result += merged
        created += c
        updated += u
        report.newest += [a for a in merged if a.created_at == now and a.updated_at == now]
    conn.execute(
        f"DELETE FROM {_table_sql('alerts')} WHERE rule_id = $rule AND list_contains($entities, entity)",
        {"rule": rule.rule_id, "entities": sorted(set(by_entity) | set(stored))},
    )
    if result:
        conn.register("_new_alerts", _alert_table(result))
        conn.execute(f"INSERT INTO {_table_sql('alerts')} BY NAME SELECT * FROM _new_alerts")
        conn.unregister("_new_alerts")
    if created:
        report.new_alerts[rule.rule_id] = created
    if updated:
        report.updated_alerts[rule.rule_id] = updated


def _store_rules(conn: duckdb.DuckDBPyConnection, ruleset: RuleSet) -> None:
    conn.execute(f"DELETE FROM {_table_sql('rules')}")
    for r in ruleset.rules:
        conn.execute(
            f"INSERT INTO {_table_sql('rules')} VALUES ({', '.join('?' * len(RULE_COLUMNS))})",
            [
                r.rule_id,
                r.title,
                r.description,
                r.severity,
                list(r.mitre_techniques),
                r.enabled,
                r.source,
                r.entity,
                r.threshold,
                int(r.window.total_seconds()),
                int(r.dedup.total_seconds()),
                r.file,
                # A disabled rule has no version: enabled again, it is evaluated in full (what changed
                # meanwhile was not looked at).
                r.version if r.enabled else None,
            ],
        )


def _store_suppressions(conn: duckdb.DuckDBPyConnection, ruleset: RuleSet, now: datetime) -> int:
    conn.execute(f"DELETE FROM {_table_sql('suppressions')}")
    for s in ruleset.suppressions:
        conn.execute(
            f"INSERT INTO {_table_sql('suppressions')} VALUES (?, ?, ?, ?)",
            [s.rule_id, s.entity, s.until, s.reason],
        )
    # An alert is suppressed while a suppression of its rule (or *) and entity lasts past its first event.
    conn.execute(
        f"""
        UPDATE {_table_sql("alerts")} AS a SET
            status = CASE WHEN s.hit THEN 'suppressed' ELSE 'new' END,
            updated_at = $now
        FROM (
            SELECT a2.alert_id, EXISTS (
                SELECT 1 FROM {_table_sql("suppressions")} s
                WHERE (s.rule_id = a2.rule_id OR s.rule_id = '*') AND lower(s.entity) = lower(a2.entity)
                  AND s.until > a2.first_seen
            ) AS hit
            FROM {_table_sql("alerts")} a2
        ) AS s
        WHERE a.alert_id = s.alert_id
          AND a.status IS DISTINCT FROM (CASE WHEN s.hit THEN 'suppressed' ELSE 'new' END)
        """,
        {"now": now},
    )
    return conn.execute(f"SELECT count(*) FROM {_table_sql('alerts')} WHERE status = 'suppressed'").fetchall()[0][
        0
    ]


def detect(w, ruleset: RuleSet, now: datetime | None = None) -> DetectReport:
    """Bring detections.* up to date with the warehouse (a Writer `w`, after its sync and refresh)."""
    now = now or w.now()
    conn = w.conn
    ensure_tables(conn)
    for rule in ruleset.enabled:
        check_rule(conn, rule)
    report = DetectReport(rules=len(ruleset.rules))
    cur = w.cursor(CONSUMER)
    known = dict(conn.execute(f"SELECT rule_id, version FROM {_table_sql('rules')}").fetchall())
    with w.transaction():
        seq = w.new_batch("detections")
        days: list[date] = []
        if cur is not None:
            w.run("derive", "pending_days", {"since": cur[0], "tables": [s.ref.key for s in w.sources()]})
            days = [r[0] for r in conn.execute("SELECT event_day FROM _days ORDER BY 1").fetchall()]
        report.days = len(days)
        for rule in ruleset.enabled:
            full = cur is None or known.get(rule.rule_id) != rule.version
            if full:
                report.full.append(rule.rule_id)
            try:
                evaluate(conn, rule, None if full else days, now, report)
            except duckdb.Error as e:  # the data met a rule's SQL it cannot run on (a cast, a regex)
                first = str(e).strip().splitlines()[0]
                raise RuleError(
                    f"rule {rule.rule_id} ({rule.file}) failed on the warehouse's data: {first}; fix the rule "
                    "(or disable it: enabled: false in a file of the rules folder with its id); nothing was "
                    "written, the next run evaluates what changed since the last good one"
                ) from None
        _store_rules(conn, ruleset)
        report.suppressed = _store_suppressions(conn, ruleset, now)
        report.findings = ocsf.refresh(conn, seq)
        w.set_cursor(CONSUMER, seq)
        report.alerts = conn.execute(f"SELECT count(*) FROM {_table_sql('alerts')}").fetchall()[0][0]
    report.newest = sorted(report.newest, key=lambda a: a.last_seen, reverse=True)[:NEWEST_REPORTED]
    w.log.info(
        "detections: %d rules (%d in full), %d changed days, %d new alerts, %d updated, %d alerts",
        len(ruleset.enabled),
        len(report.full),
        report.days,
        sum(report.new_alerts.values()),
        sum(report.updated_alerts.values()),
        report.alerts,
    )
    return report
