"""The fault suite's seeds, its ledger, and the summary line printed at the end of the session.

LOG_ASSETS_FAULT_TRIALS=N   how many randomized trials (default SHORT_TRIALS; `make test-long`: 60)
LOG_ASSETS_FAULT_SEED=S     replay the one trial of seed S (its kind follows from the seed)
LOG_ASSETS_FAULT_REPORT=F   also write every trial's record (seed, faults, violations) to F as JSON
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest

from tests.faults import harness
from tests.faults.trials import KIND_NAMES

# Short mode (`make test`): under 3 minutes for the whole folder on 2 idle cores; consecutive sessions
# start at a random kind, so every kind comes round.
SHORT_TRIALS = 6
LEDGER = harness.Ledger()
_REPORT: dict = {"path": None}


def trial_seeds() -> list[int]:
    if os.environ.get("LOG_ASSETS_FAULT_SEED"):
        return [int(os.environ["LOG_ASSETS_FAULT_SEED"])]
    n = int(os.environ.get("LOG_ASSETS_FAULT_TRIALS") or SHORT_TRIALS)
    draw = random.SystemRandom()
    k = len(KIND_NAMES)
    # seed % k is the kind: consecutive trials go round the kinds from a random one, so that short
    # sessions cover different kinds and long ones cover every kind alike
    first = draw.randrange(k)
    return [draw.randrange(1, 2**24) * k + (first + i) % k for i in range(n)]


def pytest_generate_tests(metafunc):
    if "trial_seed" in metafunc.fixturenames:
        seeds = trial_seeds()
        metafunc.parametrize("trial_seed", seeds, ids=[f"{s}-{KIND_NAMES[s % len(KIND_NAMES)]}" for s in seeds])


@pytest.fixture(scope="session")
def ledger(tmp_path_factory):
    path = os.environ.get("LOG_ASSETS_FAULT_REPORT") or str(tmp_path_factory.getbasetemp() / "fault-report.json")
    _REPORT["path"] = path
    yield LEDGER
    Path(path).write_text(
        json.dumps(
            {
                "summary": LEDGER.summary(),
                "faults": dict(LEDGER.faults),
                "violations": LEDGER.violations,
                "trials": LEDGER.trials,
            },
            indent=1,
            default=str,
        )
    )


def pytest_terminal_summary(terminalreporter):
    if LEDGER.trials:
        terminalreporter.write_sep("-", "fault suite")
        terminalreporter.write_line(LEDGER.summary())
        if _REPORT["path"]:
            terminalreporter.write_line(f"trial records: {_REPORT['path']}")
        for v in LEDGER.violations[:20]:
            terminalreporter.write_line(f"VIOLATION {v}")
