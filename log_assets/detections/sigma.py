"""Sigma rules (placeholder until the converter lands)."""

from __future__ import annotations

from typing import Any

from log_assets.detections.rules import Rule, RuleError


def rule_from_sigma(doc: Any, source: str, file: str) -> Rule:
    raise RuleError(f"rule file {file}: Sigma rules are not supported yet")
