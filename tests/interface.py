"""What users rely on, read off the code location: asset keys, partitions and backfill policies, checks,
jobs, schedules and sensors, resources with their config, the environment variables the package reads,
and the warehouse's tables with their columns.

    python -m tests.interface [LOG_ASSETS_HOME]   rewrite tests/interface_snapshot.json

(with a home holding a built warehouse the tables are read from it; without one they are kept as they
are in the snapshot). tests/test_interface.py compares the code against the committed snapshot, so an
interface change is always made on purpose: update the snapshot and docs/INTERFACE.md in one commit.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = Path(__file__).with_name("interface_snapshot.json")
# Environment variables are the package's names (and the standard ones it honours), read anywhere in it.
_ENV_NAME = re.compile(r"^(LOG_ASSETS|FORCEPOINT|APERTURE|DAGSTER|AWS)_[A-Z0-9_]+$")


def _partitions(pd) -> dict | None:
    if pd is None:
        return None
    out = {"class": type(pd).__name__}
    for attr in ("start", "timezone", "end_offset", "fmt", "cron_schedule"):
        value = getattr(pd, attr, None)
        if value is not None:
            out[attr] = value.isoformat() if hasattr(value, "isoformat") else value
    return out


def _str_or_none(value) -> str | None:
    return None if value is None else str(value)


def code_location() -> dict:
    """The code location as users see it (import inside: run it with a clean environment)."""
    import dagster as dg

    from log_assets.definitions import defs

    graph = defs.resolve_asset_graph()
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "partitions": _partitions(node.partitions_def),
            "backfill_policy": _str_or_none(node.backfill_policy),
            "automation_condition": _str_or_none(node.automation_condition and node.automation_condition.name),
            "checks": sorted(c.name for c in node.check_keys),
            "deps": sorted(p.to_user_string() for p in node.parent_keys),
        }
    jobs = {}
    for job in sorted(defs.resolve_all_job_defs(), key=lambda j: j.name):
        if job.name.startswith("__"):  # Dagster's implicit asset job
            continue
        jobs[job.name] = {
            "partitions": _partitions(job.partitions_def),
            "ops": sorted(job.graph.node_dict),
        }
    schedules = {
        s.name: {
            "cron": s.cron_schedule,
            "timezone": s.execution_timezone,
            "job": s.job_name,
            "default_status": s.default_status.name,
        }
        for s in sorted(defs.schedules or [], key=lambda s: s.name)
    }
    sensors = {
        s.name: {
            "default_status": s.default_status.name,
            "minimum_interval_seconds": s.minimum_interval_seconds,
            "jobs": sorted(j.name for j in s.jobs) if s.has_jobs else [],
        }
        for s in sorted(defs.sensors or [], key=lambda s: s.name)
    }
    resources = {}
    for name, res in sorted((defs.resources or {}).items()):
        fields = {}
        for field_name, info in type(res).model_fields.items():
            kind = info.annotation
            fields[field_name] = {
                "type": kind.__name__ if isinstance(kind, type) else str(kind),
                "default": _jsonable(info.default),
            }
        resources[name] = {"class": f"{type(res).__module__}.{type(res).__qualname__}", "config": fields}
    assert isinstance(defs, dg.Definitions)
    return {
        "assets": assets,
        "jobs": jobs,
        "schedules": schedules,
        "sensors": sensors,
        "resources": resources,
        "environment": environment_variables(),
    }


def _jsonable(value):
    try:
        json.dumps(value)
        return value
    except TypeError:
        return repr(value)


def environment_variables() -> list[str]:
    """Every environment variable name the package (simulator aside) mentions as a string constant."""
    names = set()
    for path in sorted((ROOT / "log_assets").rglob("*.py")):
        if "simulator" in path.relative_to(ROOT).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and _ENV_NAME.match(node.value):
                names.add(node.value)
    return sorted(names)


def warehouse_tables(home: Path) -> dict[str, list[str]]:
    """schema.table -> its columns, as `column TYPE`, read from a built warehouse."""
    from log_assets.warehouse import connect_readonly

    con = connect_readonly(home)
    try:
        rows = con.sql(
            "SELECT table_schema || '.' || table_name, column_name || ' ' || data_type"
            " FROM information_schema.columns WHERE table_catalog = current_database()"
            " AND table_schema NOT IN ('information_schema', 'pg_catalog')"
            " AND table_schema NOT LIKE '\\_%' ESCAPE '\\' ORDER BY table_schema, table_name, ordinal_position"
        ).fetchall()
    finally:
        con.close()
    tables: dict[str, list[str]] = {}
    for table, column in rows:
        tables.setdefault(table, []).append(column)
    return tables


def main(argv: list[str]) -> None:
    snapshot = json.loads(SNAPSHOT.read_text()) if SNAPSHOT.exists() else {}
    snapshot["code_location"] = code_location()
    if argv:
        snapshot["warehouse_tables"] = warehouse_tables(Path(argv[0]))
    SNAPSHOT.write_text(json.dumps(snapshot, indent=1, sort_keys=True) + "\n")
    print(f"wrote {SNAPSHOT}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--print"]:
        print(json.dumps(code_location(), indent=1, sort_keys=True))
    else:
        main(sys.argv[1:])
