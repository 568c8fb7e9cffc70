"""The code location the fault suite runs: `log_assets.definitions`, plus the domain definitions
(`log_assets/defs/<domain>/definitions.py`) it does not merge yet, so that every domain that exists
is exercised through the stock CLI. Once the main location merges them all, the suite uses it
directly (see `harness.code_location`)."""

from __future__ import annotations

import importlib

import dagster as dg

DOMAINS = ("forcepoint", "aperture", "warehouse")
# What shows that a domain is part of a Definitions object.
_MARKERS = {
    "forcepoint": lambda d: _has_asset(d, ("forcepoint", "access")),
    "aperture": lambda d: _has_job(d, "aperture_drain"),
    "warehouse": lambda d: any(k.path[0] == "warehouse" for k in _asset_keys(d)),
}


def _asset_keys(defs: dg.Definitions) -> set:
    keys = set()
    for a in defs.assets or []:
        keys.update(getattr(a, "keys", None) or ([a.key] if hasattr(a, "key") else []))
    return keys


def _has_asset(defs: dg.Definitions, path: tuple) -> bool:
    return dg.AssetKey(list(path)) in _asset_keys(defs)


def _has_job(defs: dg.Definitions, name: str) -> bool:
    return any(getattr(j, "name", None) == name for j in defs.jobs or [])


def _domain_defs(name: str) -> dg.Definitions | None:
    try:
        return importlib.import_module(f"log_assets.defs.{name}.definitions").defs
    except Exception:  # noqa: BLE001 - not written yet, or mid-edit
        return None


def _main() -> dg.Definitions:
    from log_assets.definitions import defs as main

    return main


def main_is_complete() -> bool:
    main = _main()
    return all(_MARKERS[d](main) or _domain_defs(d) is None for d in DOMAINS)


def has_domain(name: str) -> bool:
    main = _main()
    if _MARKERS[name](main):
        return True
    extra = _domain_defs(name)
    return extra is not None and _MARKERS[name](extra)


def build() -> dg.Definitions:
    main = _main()
    parts = [main]
    for d in DOMAINS:
        if not _MARKERS[d](main):
            extra = _domain_defs(d)
            if extra is not None:
                parts.append(extra)
    return parts[0] if len(parts) == 1 else dg.Definitions.merge(*parts)


defs = build()
