"""Running the detections on a home: load the rules, evaluate them in the warehouse's writer, publish."""

from __future__ import annotations

import logging
import os
from datetime import datetime
from pathlib import Path

from log_assets.detections.engine import DetectReport, detect
from log_assets.detections.rules import load_rules

# The default tenant's rules folder (a named tenant's comes from its definitions only).
RULES_FOLDER_ENV = "LOG_ASSETS_DETECTIONS_RULES"


def rules_folder_from_env() -> str | None:
    return os.environ.get(RULES_FOLDER_ENV) or None


def run(
    home=None,
    rules_folder: str | Path | None = None,
    log: logging.Logger | None = None,
    now: datetime | None = None,
    connect=None,
) -> DetectReport:
    """Evaluate the rules (built in, and those of `rules_folder`) over the warehouse of `home` and
    publish detections.* with it. A bad rule file fails before anything is written, naming the file."""
    from log_assets.warehouse.writer import open_writer

    ruleset = load_rules(rules_folder)
    with open_writer(home, connect=connect, log=log) as w:
        report = detect(w, ruleset, now)
        w.publish()
    return report
