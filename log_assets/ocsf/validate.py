"""Validate OCSF 1.8.0 events against the vendored JSON Schemas, with jsonschema.

    from log_assets.ocsf.validate import validate_event, row_to_event
    errors = validate_event(row_to_event(row))   # [] when valid

An `ocsf.*` table's row is an event once its `event_day` (the partition column) and its NULLs (an
absent attribute) are taken out: `row_to_event` does that.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

from log_assets.ocsf.schema import class_by_uid, class_schema

PARTITION_COLUMN = "event_day"


@cache
def _validator(name: str) -> Draft202012Validator:
    schema = class_schema(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def validate_event(event: dict) -> list[str]:
    """Why `event` is not a valid OCSF 1.8.0 event of its class (`class_uid`): one message per
    error, each naming the attribute's path; [] when it is valid. Besides the class's JSON Schema
    (required attributes, types, enums, constraints, no attribute outside the class), type_uid
    must be class_uid * 100 + activity_id."""
    uid = event.get("class_uid")
    if not isinstance(uid, int) or isinstance(uid, bool):
        return [f"class_uid: {uid!r} is not an OCSF class uid"]
    name = class_by_uid().get(uid)
    if name is None:
        return [f"class_uid: {uid} is not a class with a vendored schema ({sorted(class_by_uid())})"]
    errors = sorted(_validator(name).iter_errors(event), key=lambda e: list(e.absolute_path))
    out = [f"{name}: {'.'.join(map(str, e.absolute_path)) or '(event)'}: {e.message}" for e in errors]
    # What the JSON Schema cannot say: OCSF's type_uid is class_uid * 100 + activity_id.
    activity, type_uid = event.get("activity_id"), event.get("type_uid")
    if isinstance(activity, int) and isinstance(type_uid, int) and type_uid != uid * 100 + activity:
        out.append(f"{name}: type_uid: {type_uid} is not class_uid * 100 + activity_id ({uid * 100 + activity})")
    return out


def row_to_event(row: dict) -> dict:
    """An `ocsf.*` row (as DuckDB hands it: a dict per STRUCT) as an OCSF event: without the
    partition column and without NULLs, at any depth."""
    return {k: _plain(v) for k, v in row.items() if k != PARTITION_COLUMN and v is not None}


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_plain(v) for v in value if v is not None]
    if isinstance(value, datetime | date):
        raise TypeError(f"an OCSF row holds no date or time value (timestamp_t is epoch milliseconds): {value!r}")
    return value
