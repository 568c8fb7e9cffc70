"""Reading back what landed, independently of the code under test."""

import hashlib
import json
from pathlib import Path

import dagster as dg

from log_assets.defs.aperture.definitions import defs as aperture_defs
from log_assets.defs.resources import LogAssetsHome
from log_assets.storage import Storage
from tests.lakeview import lake_table, lake_types

# As the code location merges it: the domain's definitions plus the shared "home" resource.
FULL_DEFS = dg.Definitions.merge(dg.Definitions(resources={"home": LogAssetsHome()}), aperture_defs)


def canonical_id(event) -> str:
    """The documented event_id rule, written out again: sha256 of key-sorted compact JSON."""
    return hashlib.sha256(json.dumps(event, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def lake_rows(home, log_type: str | None = None) -> list[dict]:
    """Every lake row of the aperture vendor (or of one type), as the tables' current snapshots hold
    them; `table` names the table a row was read from."""
    types = [log_type] if log_type else lake_types(home, "aperture")
    return [{**r, "table": t} for t in types for r in lake_table(home, "aperture", t).to_pylist()]


def quarantined_bodies(home) -> dict[str, bytes]:
    """Name -> bytes of every body kept in quarantine/aperture/ on the storage root of `home`
    (LOG_ASSETS_STORAGE_URL when set)."""
    storage = Storage.from_env(home=Path(home.root))
    return {
        o.key.rsplit("/", 1)[-1]: storage.read_bytes(o.key)
        for o in storage.list("quarantine/aperture", recursive=False)
        if not o.key.endswith(".note.json")
    }
