"""Reading back what landed, independently of the code under test."""

import hashlib
import json
from pathlib import Path

import dagster as dg
import duckdb

from log_assets.defs.aperture.definitions import defs as aperture_defs
from log_assets.defs.resources import LogAssetsHome

# As the code location merges it: the domain's definitions plus the shared "home" resource.
FULL_DEFS = dg.Definitions.merge(dg.Definitions(resources={"home": LogAssetsHome()}), aperture_defs)


def canonical_id(event) -> str:
    """The documented event_id rule, written out again: sha256 of key-sorted compact JSON."""
    return hashlib.sha256(json.dumps(event, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def lake_rows(home, log_type: str | None = None) -> list[dict]:
    """Every lake row of the aperture vendor (or of one type), read with DuckDB."""
    base = Path(home.lake) / "aperture"
    pattern = str(base / (log_type or "*") / "date=*" / "*.parquet")
    if not list(base.glob(f"{log_type or '*'}/date=*/*.parquet")):
        return []
    con = duckdb.connect()
    rel = con.sql(
        f"SELECT * , filename FROM read_parquet('{pattern}', union_by_name=true, filename=true, "
        "hive_partitioning=false)"
    )
    cols = rel.columns
    return [dict(zip(cols, r, strict=True)) for r in rel.fetchall()]


def quarantined_bodies(home) -> dict[str, bytes]:
    q = Path(home.quarantine) / "aperture"
    if not q.exists():
        return {}
    return {
        p.name: p.read_bytes()
        for p in q.iterdir()
        if p.is_file() and not p.name.endswith(".note.json") and not p.name.startswith(".")
    }
