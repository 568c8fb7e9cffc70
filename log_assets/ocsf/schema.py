"""The vendored OCSF 1.8.0 JSON Schemas (`schema/<class>.json`, `schema/captions.json`; where they come
from: schema/README.md)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

VERSION = "1.8.0"
# The classes the pipeline emits (an `ocsf.<class>` table and a file in sql/ each, tables.py), in
# refresh order.
EMITTED = (
    "http_activity",
    "network_activity",
    "web_resources_activity",
    "authentication",
    "data_security_finding",
    "file_hosting",
    "entity_management",
    "file_remediation_activity",
    "cloud_resources_inventory_info",
    "application_error",
)
# The classes whose JSON Schema is vendored: those and Detection Finding, which the detection engine emits.
CLASSES = (*EMITTED, "detection_finding")


@cache
def class_schema(name: str) -> dict:
    """The JSON Schema of an OCSF 1.8.0 class (no profiles; its objects under `$defs`)."""
    if name not in CLASSES:
        raise KeyError(
            f"OCSF class {name!r} is not vendored (log_assets/ocsf/schema/); vendored: {', '.join(CLASSES)}"
        )
    return json.loads(resources.files("log_assets.ocsf").joinpath("schema", f"{name}.json").read_text())


def class_uid(name: str) -> int:
    return int(class_schema(name)["properties"]["class_uid"]["const"])


def category_uid(name: str) -> int:
    return int(class_schema(name)["properties"]["category_uid"]["const"])


def caption(name: str) -> str:
    return str(class_schema(name)["title"])


@cache
def captions(name: str) -> dict:
    """The captions the JSON Schema leaves out (schema/captions.json): "class", "category", and per
    enum attribute (activity_id, type_uid, severity_id, status_id) its values' captions by value."""
    return json.loads(resources.files("log_assets.ocsf").joinpath("schema", "captions.json").read_text())[name]


@cache
def class_by_uid() -> dict[int, str]:
    return {class_uid(n): n for n in CLASSES}


def type_pattern(object_name: str, attribute: str) -> str:
    """The pattern the schema gives an attribute of an object (its OCSF type's regex, e.g. ip_t)."""
    for name in CLASSES:
        defs = class_schema(name).get("$defs", {})
        if object_name in defs and "pattern" in defs[object_name]["properties"].get(attribute, {}):
            return str(defs[object_name]["properties"][attribute]["pattern"])
    raise KeyError(f"no pattern for {object_name}.{attribute} in the vendored OCSF schemas")


def max_length(object_name: str, attribute: str) -> int | None:
    for name in CLASSES:
        prop = class_schema(name).get("$defs", {}).get(object_name, {}).get("properties", {}).get(attribute)
        if prop is not None:
            return prop.get("maxLength")
    return None
