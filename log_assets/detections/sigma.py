"""Sigma rules: converted to the engine's candidate SQL with pySigma and its DuckDB backend.

Where a Sigma logsource and its fields land is data (`sigma_mapping.yaml`): a pySigma processing
pipeline is built from it (one field mapping per logsource), the backend turns the detection into a
DuckDB condition, and the rule becomes a candidate SELECT over the logsource's table:

    SELECT event_time, <entity> AS entity, vendor, log_type, event_id FROM <table> WHERE <condition>

Besides Sigma's own fields (`name` is the rule id, `level` the severity, `attack.tNNNN` tags the
techniques), a rule may carry `entity` (a Sigma field; default: the logsource's), and `threshold`,
`window`, `distinct`, `dedup` as in the engine's own rule files; the entity is lower-cased (the
user_key of a person). Text matches are case-insensitive
(Sigma's semantics): plain equality compares lower-cased values, the wildcard forms use ILIKE.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Any

import yaml

from log_assets.detections.rules import Rule, RuleError, rule_from_mapping

MAPPING_FILE = "sigma_mapping.yaml"
_TECHNIQUE_TAG = re.compile(r"^attack\.(t\d{4}(\.\d{3})?)$", re.IGNORECASE)
_ENGINE_FIELDS = ("threshold", "window", "distinct", "dedup", "lookback", "enabled")


@cache
def mapping() -> dict[tuple[str, str], dict]:
    """(product, service) -> {table, entity, fields}: sigma_mapping.yaml."""
    doc = yaml.safe_load(resources.files("log_assets.detections").joinpath(MAPPING_FILE).read_text())
    return {(m["product"], m["service"]): m for m in doc["logsources"]}


def backend():
    """The DuckDB backend with the mapping's processing pipeline, equality made case-insensitive."""
    from sigma.processing.conditions import LogsourceCondition
    from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
    from sigma.processing.transformations import FieldMappingTransformation
    from sigma.types import SigmaString
    from sigma_backend_duckdb import DuckDBBackend

    class Backend(DuckDBBackend):
        def convert_condition_field_eq_val_str(self, cond, state):
            value = cond.value
            if isinstance(value, SigmaString) and not value.contains_special():
                field = self.escape_and_quote_field(cond.field)
                return f"lower({field}) = lower({self.convert_value_str(value, state)})"
            return super().convert_condition_field_eq_val_str(cond, state)

    items = [
        ProcessingItem(
            identifier=f"log_assets_{product}_{service}",
            transformation=FieldMappingTransformation(dict(m["fields"])),
            rule_conditions=[LogsourceCondition(product=product, service=service)],
        )
        for (product, service), m in mapping().items()
    ]
    return Backend(processing_pipeline=ProcessingPipeline(name="log-assets warehouse tables", items=items))


def _fields(detection: Any) -> set[str]:
    """The Sigma field names a detection uses."""
    out: set[str] = set()
    if isinstance(detection, dict):
        for key, value in detection.items():
            if key == "condition":
                continue
            if isinstance(value, (dict, list)):
                out |= _fields(value)
            else:
                out.add(key)
            if isinstance(value, list) and all(not isinstance(v, (dict, list)) for v in value):
                out.add(key)
    elif isinstance(detection, list):
        for item in detection:
            out |= _fields(item)
    return {f.split("|", 1)[0] for f in out if f}


def rule_from_sigma(doc: dict, source: str, file: str) -> Rule:
    from sigma.exceptions import SigmaError
    from sigma.rule import SigmaRule

    def bad(problem: str) -> RuleError:
        return RuleError(f"Sigma rule file {file}: {problem}; fix the file (docs/detections.md) or remove it")

    logsource = doc.get("logsource") or {}
    key = (str(logsource.get("product")), str(logsource.get("service")))
    m = mapping().get(key)
    if m is None:
        known = ", ".join(f"{p}/{s}" for p, s in mapping())
        raise bad(f"logsource product/service {key[0]}/{key[1]} is not one of {known}")
    if not doc.get("name"):
        raise bad("no `name`: it is the rule's id (lower case, digits and _)")
    unknown = sorted(_fields(doc.get("detection")) - set(m["fields"]))
    if unknown:
        raise bad(f"field(s) {', '.join(unknown)} are not mapped for {key[0]}/{key[1]} (sigma_mapping.yaml)")
    entity_field = doc.get("entity")
    if entity_field is not None and entity_field not in m["fields"]:
        raise bad(f"entity {entity_field!r} is not a mapped field of {key[0]}/{key[1]}")
    try:
        rule = SigmaRule.from_dict(doc)
        queries = backend().convert_rule(rule)
    except SigmaError as e:
        raise bad(f"pySigma cannot convert it: {e}") from None
    prefix = "SELECT * FROM logs WHERE "
    if not queries or not all(q.startswith(prefix) for q in queries):
        raise bad(f"unexpected conversion {queries!r}")
    # People's e-mails and names are lower-cased (the user_key), like the built-in rules' entities.
    entity = f'lower("{m["fields"][entity_field]}")' if entity_field else f"lower({m['entity']})"
    selects = [
        f"SELECT event_time, {entity} AS entity, vendor, log_type, event_id FROM {m['table']} "
        f"WHERE {q[len(prefix) :]}"
        for q in queries
    ]
    techniques = sorted({t.group(1).upper() for t in (_TECHNIQUE_TAG.match(str(x)) for x in rule.tags) if t})
    level = str(rule.level.name).lower() if rule.level else "medium"
    return rule_from_mapping(
        {
            "id": doc["name"],
            "title": rule.title,
            "description": rule.description or rule.title,
            "severity": level,
            "mitre": techniques,
            "entity": entity_field or m.get("entity_name", "user"),
            "sql": "\nUNION ALL\n".join(selects),
            **{k: doc[k] for k in _ENGINE_FIELDS if k in doc},
        },
        source,
        file,
    )
