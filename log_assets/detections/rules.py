"""Rules as files: loading and validating them, with errors that name the file.

A rule file is YAML (see docs/detections.md):

    id: forcepoint_multiple_failed_logins      # lower case, digits and _
    title: Multiple failed logins
    description: ...
    severity: medium                           # informational | low | medium | high | critical
    mitre: [T1110]                             # ATT&CK technique ids
    entity: user                               # what the alert is about (documentation)
    threshold: 10                              # candidates of one entity ...
    window: 10m                                # ... within this long (s, m, h, d)
    distinct: false                            # count distinct `distinct_value`s instead of events
    dedup: 24h                                 # later matches join the alert this long after it starts
    lookback: 0s                               # how far back the SQL itself reads (a baseline)
    enabled: true
    sql: |                                     # candidate events, one row each
      SELECT event_time, <entity> AS entity, vendor, log_type, event_id [, <x> AS distinct_value]
      FROM forcepoint.access WHERE ...

A file with a `logsource` and a `detection` is a Sigma rule instead (`sigma.py` converts it).
Built-in rules are the files beside this module (`rules/`, `sigma/`); a user's folder (the
`rules_folder` setting, `LOG_ASSETS_DETECTIONS_RULES`) adds its own and may replace a built-in rule
by using its id (`enabled: false` turns one off). Suppressions are `suppressions.yaml` there.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

BUILTIN = "builtin"
SIGMA = "sigma"
USER = "user"
SEVERITIES = ("informational", "low", "medium", "high", "critical")
SUPPRESSIONS_FILE = "suppressions.yaml"
RULE_SUFFIXES = (".yaml", ".yml")
# The columns a rule's SQL yields (distinct_value only when the rule counts distinct values).
CANDIDATE_COLUMNS = ("event_time", "entity", "vendor", "log_type", "event_id")

_ID = re.compile(r"^[a-z][a-z0-9_]{2,80}$")
_TECHNIQUE = re.compile(r"^T\d{4}(\.\d{3})?$")
_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_FIELDS = {
    "id",
    "title",
    "description",
    "severity",
    "mitre",
    "entity",
    "threshold",
    "window",
    "distinct",
    "dedup",
    "lookback",
    "enabled",
    "sql",
}
_REQUIRED = ("id", "title", "description", "severity", "sql")


class RuleError(ValueError):
    """A rule or suppression file that cannot be used: the message names the file and what to fix."""


@dataclass(frozen=True)
class Rule:
    rule_id: str
    title: str
    description: str
    severity: str
    mitre_techniques: tuple[str, ...]
    sql: str
    source: str  # BUILTIN, SIGMA or USER
    file: str
    entity: str = "user"
    threshold: int = 1
    window: timedelta = timedelta(0)
    distinct: bool = False
    dedup: timedelta = timedelta(hours=24)
    lookback: timedelta = timedelta(0)
    enabled: bool = True

    @property
    def version(self) -> str:
        """Changes when what the rule computes changes: its alerts are then computed again in full."""
        text = "\0".join(
            str(x) for x in (self.sql, self.threshold, self.window, self.distinct, self.dedup, self.lookback)
        )
        return hashlib.sha1(text.encode()).hexdigest()[:16]

    @property
    def margin(self) -> timedelta:
        """How far from a changed day an alert of this rule can change."""
        return self.window + self.dedup + self.lookback


@dataclass(frozen=True)
class Suppression:
    rule_id: str  # or "*": every rule
    entity: str
    until: datetime
    reason: str


@dataclass
class RuleSet:
    rules: list[Rule] = field(default_factory=list)
    suppressions: list[Suppression] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)  # built-in ids a user's file replaced

    @property
    def enabled(self) -> list[Rule]:
        return [r for r in self.rules if r.enabled]


def parse_duration(value: Any, what: str) -> timedelta:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return timedelta(seconds=value)
    m = _DURATION.match(str(value))
    if not m:
        raise ValueError(f"{what} must be a duration such as 90s, 10m, 24h or 14d, not {value!r}")
    return timedelta(seconds=int(m.group(1)) * _UNITS[m.group(2)])


def rule_from_mapping(doc: Any, source: str, file: str) -> Rule:
    """A validated Rule from a parsed rule file; RuleError names the file and the problem."""

    def bad(problem: str) -> RuleError:
        return RuleError(f"rule file {file}: {problem}; fix the file (docs/detections.md) or remove it")

    if not isinstance(doc, dict):
        raise bad("expected a mapping of id, title, description, severity, sql, ...")
    unknown = sorted(set(doc) - _FIELDS)
    if unknown:
        raise bad(f"unknown field(s) {', '.join(unknown)}")
    missing = [k for k in _REQUIRED if doc.get(k) in (None, "")]
    if missing:
        raise bad(f"missing {', '.join(missing)}")
    for k in ("id", "title", "description", "severity", "sql", "entity"):
        if k in doc and not isinstance(doc[k], str):
            raise bad(f"{k} must be text")
    if not _ID.match(doc["id"]):
        raise bad(f"id {doc['id']!r} must be 3-81 characters of a-z, 0-9 and _, starting with a letter")
    severity = doc["severity"].lower()
    if severity not in SEVERITIES:
        raise bad(f"severity {doc['severity']!r} must be one of {', '.join(SEVERITIES)}")
    mitre = doc.get("mitre") or []
    if isinstance(mitre, str):
        mitre = [mitre]
    if not isinstance(mitre, list) or not all(isinstance(t, str) and _TECHNIQUE.match(t) for t in mitre):
        raise bad(f"mitre must be a list of ATT&CK technique ids such as T1110 or T1078.004, not {mitre!r}")
    threshold = doc.get("threshold", 1)
    if not isinstance(threshold, int) or isinstance(threshold, bool) or threshold < 1:
        raise bad(f"threshold must be a whole number >= 1, not {threshold!r}")
    try:
        window = parse_duration(doc.get("window", "0s"), "window")
        dedup = parse_duration(doc.get("dedup", "24h"), "dedup")
        lookback = parse_duration(doc.get("lookback", "0s"), "lookback")
    except ValueError as e:
        raise bad(str(e)) from None
    if threshold > 1 and not window:
        raise bad("a threshold above 1 needs a window")
    if not dedup:
        raise bad("dedup must be longer than 0s")
    for k in ("distinct", "enabled"):
        if k in doc and not isinstance(doc[k], bool):
            raise bad(f"{k} must be true or false")
    body = doc["sql"].strip().rstrip(";")
    if ";" in body:
        raise bad("sql must be one SELECT statement")
    return Rule(
        rule_id=doc["id"],
        title=doc["title"].strip(),
        description=" ".join(doc["description"].split()),
        severity=severity,
        mitre_techniques=tuple(mitre),
        sql=body,
        source=source,
        file=file,
        entity=doc.get("entity", "user"),
        threshold=threshold,
        window=window,
        distinct=doc.get("distinct", False),
        dedup=dedup,
        lookback=lookback,
        enabled=doc.get("enabled", True),
    )


def _read_yaml(path: Path | Any, name: str) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise RuleError(f"rule file {name}: not readable YAML ({e}); fix the file or remove it") from None


def _load_file(path: Path | Any, name: str, source: str) -> Rule:
    doc = _read_yaml(path, name)
    if isinstance(doc, dict) and "logsource" in doc and "detection" in doc:
        from log_assets.detections.sigma import rule_from_sigma

        return rule_from_sigma(doc, SIGMA if source == BUILTIN else source, name)
    return rule_from_mapping(doc, source, name)


def builtin_rules() -> list[Rule]:
    """The package's rules: `rules/*.yaml` and the Sigma rules in `sigma/*.yml`."""
    out = []
    base = resources.files("log_assets.detections")
    for folder in ("rules", "sigma"):
        if not base.joinpath(folder).is_dir():
            continue
        for entry in sorted(base.joinpath(folder).iterdir(), key=lambda e: e.name):
            if entry.name.endswith(RULE_SUFFIXES):
                out.append(_load_file(entry, f"log_assets/detections/{folder}/{entry.name}", BUILTIN))
    return out


def folder_rules(folder: Path) -> list[Rule]:
    if not folder.is_dir():
        raise RuleError(
            f"rules folder {folder} does not exist or is not a folder: create it, or unset the rules folder "
            "setting (rules_folder / LOG_ASSETS_DETECTIONS_RULES)"
        )
    return [
        _load_file(p, str(p), USER)
        for p in sorted(folder.iterdir())
        if p.suffix in RULE_SUFFIXES and p.is_file() and p.name != SUPPRESSIONS_FILE
    ]


def _unique(rules: Iterable[Rule]) -> dict[str, Rule]:
    seen: dict[str, Rule] = {}
    for r in rules:
        if r.rule_id in seen:
            raise RuleError(
                f"rule id {r.rule_id} is in two files, {seen[r.rule_id].file} and {r.file}: rename one of them"
            )
        seen[r.rule_id] = r
    return seen


def load_rules(folder: str | Path | None = None) -> RuleSet:
    """The built-in rules, then those of a user's folder (one with a built-in's id replaces it)."""
    found = _unique(builtin_rules())
    out = RuleSet()
    if folder:
        own = _unique(folder_rules(Path(folder)))
        out.replaced = sorted(set(own) & set(found))
        found.update(own)
        out.suppressions = load_suppressions(Path(folder) / SUPPRESSIONS_FILE)
    out.rules = sorted(found.values(), key=lambda r: r.rule_id)
    known = {r.rule_id for r in out.rules} | {"*"}
    for s in out.suppressions:
        if s.rule_id not in known:
            raise RuleError(
                f"suppression file {Path(folder or '') / SUPPRESSIONS_FILE}: rule_id {s.rule_id!r} is no rule; "
                "use a rule's id or * (every rule)"
            )
    return out


def load_suppressions(path: Path) -> list[Suppression]:
    """`suppressions.yaml`: a list of {rule_id, entity, until, reason}. Missing: none."""
    if not path.exists():
        return []
    doc = _read_yaml(path, str(path))
    if doc is None:
        return []

    def bad(i: int, problem: str) -> RuleError:
        return RuleError(f"suppression file {path}, entry {i + 1}: {problem}; fix the entry or remove it")

    if not isinstance(doc, list):
        raise RuleError(f"suppression file {path}: expected a list of {{rule_id, entity, until, reason}}")
    out = []
    for i, item in enumerate(doc):
        if not isinstance(item, dict) or set(item) - {"rule_id", "entity", "until", "reason"}:
            raise bad(i, "expected the fields rule_id, entity, until, reason")
        if not all(isinstance(item.get(k), str) and item.get(k) for k in ("rule_id", "entity")):
            raise bad(i, "rule_id and entity must be text")
        until = item.get("until")
        if isinstance(until, str):
            try:
                until = datetime.fromisoformat(until)
            except ValueError:
                raise bad(i, f"until {until!r} is not an ISO date or time") from None
        if isinstance(until, date) and not isinstance(until, datetime):
            until = datetime(until.year, until.month, until.day, tzinfo=UTC)
        if not isinstance(until, datetime):
            raise bad(i, "until must be a date or time (2026-12-31 or 2026-12-31T18:00:00Z)")
        out.append(
            Suppression(
                rule_id=item["rule_id"],
                entity=item["entity"].strip(),  # matched case-insensitively
                until=until if until.tzinfo else until.replace(tzinfo=UTC),
                reason=str(item.get("reason") or ""),
            )
        )
    return out
