"""Detections as data: rule files (`rules/`, `sigma/`, a user's folder) evaluated over the warehouse
into `detections.alerts`, incrementally (the warehouse's change log) and idempotently.

Dagster-free; `log_assets.defs.detections` puts assets on top. See docs/detections.md.
"""

from log_assets.detections.rules import Rule, RuleError, RuleSet, load_rules

__all__ = ["Rule", "RuleError", "RuleSet", "load_rules", "run"]


def __getattr__(name: str):
    if name == "run":
        from log_assets.detections.runner import run

        return run
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
