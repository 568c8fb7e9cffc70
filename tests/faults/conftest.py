"""The fault suite's seeds, its ledger, and the summary line printed at the end of the session.

(nothing set)               the committed seeds in seeds.txt: every `make test` runs the same trials
LOG_ASSETS_FAULT_TRIALS=N   N new seeds drawn at random and printed (`make test-long`: 60)
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

SEEDS_FILE = Path(__file__).with_name("seeds.txt")
LEDGER = harness.Ledger()
_REPORT: dict = {"path": None}
_SEEDS: dict = {"seeds": [], "drawn": False}


def committed_seeds() -> list[int]:
    return [int(w) for line in SEEDS_FILE.read_text().splitlines() for w in line.split("#")[0].split()]


def drawn_seeds(n: int) -> list[int]:
    draw = random.SystemRandom()
    k = len(KIND_NAMES)
    # seed % k is the kind: consecutive trials go round the kinds from a random one, so that every kind
    # comes round alike
    first = draw.randrange(k)
    return [draw.randrange(1, 2**24) * k + (first + i) % k for i in range(n)]


def trial_seeds() -> list[int]:
    if os.environ.get("LOG_ASSETS_FAULT_SEED"):
        seeds = [int(os.environ["LOG_ASSETS_FAULT_SEED"])]
    elif os.environ.get("LOG_ASSETS_FAULT_TRIALS"):
        seeds = drawn_seeds(int(os.environ["LOG_ASSETS_FAULT_TRIALS"]))
        _SEEDS["drawn"] = True
    else:
        seeds = committed_seeds()
    _SEEDS["seeds"] = seeds
    return seeds


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
    if _SEEDS["seeds"]:
        terminalreporter.write_sep("-", "fault suite")
        where = "drawn at random" if _SEEDS["drawn"] else f"from {SEEDS_FILE.name}"
        terminalreporter.write_line(
            f"seeds ({where}): {' '.join(map(str, _SEEDS['seeds']))}; replay one with LOG_ASSETS_FAULT_SEED=<seed>"
        )
    if LEDGER.trials:
        terminalreporter.write_line(LEDGER.summary())
        if _REPORT["path"]:
            terminalreporter.write_line(f"trial records: {_REPORT['path']}")
        for v in LEDGER.violations[:20]:
            terminalreporter.write_line(f"VIOLATION {v}")
