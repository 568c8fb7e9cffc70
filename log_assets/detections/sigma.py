"""Sigma rules: converted to the engine's candidate SQL with pySigma and its DuckDB backend, over the
OCSF 1.8.0 tables.

Where a Sigma logsource and its fields land is data (`sigma_mapping.yaml`): the logsource's OCSF class
table and the filter that picks its records there, each field's OCSF attribute path. A pySigma
processing pipeline is built from it (the logsource's field mapping), the backend turns the detection
into a DuckDB condition, and the rule becomes a candidate SELECT over the class table:

    SELECT to_timestamp("time" / 1000) AS event_time, <entity> AS entity, '<vendor>' AS vendor,
           metadata.log_name AS log_type, metadata.uid AS event_id
    FROM ocsf.<class> WHERE <the logsource's filter> AND (<condition>)

(`metadata.uid` is the source record's `event_id`, so an alert's `event_refs` name the vendor's record.)
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
def mapping() -> dict[tuple[str, str], list[dict]]:
    """(product, service) -> its logsources ({category, vendor, table, where, entity, fields}):
    sigma_mapping.yaml."""
    doc = yaml.safe_load(resources.files("log_assets.detections").joinpath(MAPPING_FILE).read_text())
    out: dict[tuple[str, str], list[dict]] = {}
    for m in doc["logsources"]:
        out.setdefault((m["product"], m["service"]), []).append(m)
    return out


def quote_path(field: str) -> str:
    """An OCSF attribute path as DuckDB SQL: each part quoted (`"user"."email_addr"`), which DuckDB
    reads as a column and the fields of its STRUCT."""
    return ".".join('"' + part.replace('"', '""') + '"' for part in field.split("."))


def backend(fields: dict[str, str]):
    """The DuckDB backend with one logsource's field mapping, equality made case-insensitive and
    attribute paths quoted part by part."""
    from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
    from sigma.processing.transformations import FieldMappingTransformation
    from sigma.types import SigmaString
    from sigma_backend_duckdb import DuckDBBackend

    class Backend(DuckDBBackend):
        def escape_and_quote_field(self, field_name: str) -> str:
            return quote_path(field_name)

        def convert_condition_field_eq_val_str(self, cond, state):
            value = cond.value
            if isinstance(value, SigmaString) and not value.contains_special():
                field = self.escape_and_quote_field(cond.field)
                return f"lower({field}) = lower({self.convert_value_str(value, state)})"
            return super().convert_condition_field_eq_val_str(cond, state)

    mapping_: dict[str | None, str | list[str]] = {k: v for k, v in fields.items()}
    item = ProcessingItem(identifier="log_assets_ocsf_fields", transformation=FieldMappingTransformation(mapping_))
    return Backend(processing_pipeline=ProcessingPipeline(name="log-assets OCSF tables", items=[item]))


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
    sources = mapping().get(key)
    if sources is None:
        known = ", ".join(f"{p}/{s}" for p, s in mapping())
        raise bad(f"logsource product/service {key[0]}/{key[1]} is not one of {known}")
    category = logsource.get("category")
    if category is not None:
        sources = [m for m in sources if m["category"] == category]
        if not sources:
            known = ", ".join(m["category"] for m in mapping()[key])
            raise bad(f"logsource category {category} (an OCSF class) is not one of {key[0]}/{key[1]}'s: {known}")
    if len(sources) > 1:
        known = ", ".join(m["category"] for m in sources)
        raise bad(f"{key[0]}/{key[1]} records go to several OCSF classes: name one as `category` ({known})")
    m = sources[0]
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
        queries = backend(dict(m["fields"])).convert_rule(rule)
    except SigmaError as e:
        raise bad(f"pySigma cannot convert it: {e}") from None
    prefix = "SELECT * FROM logs WHERE "
    if not queries or not all(q.startswith(prefix) for q in queries):
        raise bad(f"unexpected conversion {queries!r}")
    # People's e-mails and names are lower-cased (the user_key), like the built-in rules' entities.
    entity = f"lower({quote_path(m['fields'][entity_field])})" if entity_field else f"lower({m['entity']})"
    selects = [
        f'SELECT to_timestamp("time" / 1000) AS event_time, {entity} AS entity, '
        f"'{m['vendor']}' AS vendor, metadata.log_name AS log_type, metadata.uid AS event_id "
        f"FROM {m['table']} WHERE ({m['where']}) AND ({q[len(prefix) :]})"
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
