"""The fault suite's seeds, its ledger, and the summary line printed at the end of the session.

(nothing set)               the committed seeds in seeds.txt: every `make test` runs the same trials
LOG_ASSETS_FAULT_TRIALS=N   N new seeds drawn at random and printed (`make test-long`: 60)
LOG_ASSETS_FAULT_SEED=S     replay the one trial of seed S (its kind follows from the seed)
LOG_ASSETS_FAULT_REPORT=F   also write every trial's record (seed, faults, violations) to F as JSON

Under pytest-xdist (`make test` runs two workers) the seeds are drawn once, in the controller, and
handed to the workers through the environment (every worker must collect the same trials); each
worker writes its ledger to a file, and the controller sums them up for the summary.
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


_DRAWN_ENV = "LOG_ASSETS_FAULT_DRAWN_SEEDS"  # the controller's draw, for its workers
_LEDGERS_ENV = "LOG_ASSETS_FAULT_LEDGERS"  # the folder the workers write their ledgers to


def trial_seeds() -> list[int]:
    if os.environ.get("LOG_ASSETS_FAULT_SEED"):
        seeds = [int(os.environ["LOG_ASSETS_FAULT_SEED"])]
    elif os.environ.get("LOG_ASSETS_FAULT_TRIALS"):
        if not os.environ.get(_DRAWN_ENV):
            os.environ[_DRAWN_ENV] = " ".join(map(str, drawn_seeds(int(os.environ["LOG_ASSETS_FAULT_TRIALS"]))))
        seeds = [int(w) for w in os.environ[_DRAWN_ENV].split()]
        _SEEDS["drawn"] = True
    else:
        seeds = committed_seeds()
    _SEEDS["seeds"] = seeds
    return seeds


def controller_configure(config) -> None:
    """Called from tests/conftest.py in an xdist controller (which collects nothing, so this file is
    not loaded there by itself), before any worker starts: the workers inherit one draw of the seeds
    and one folder for their ledgers."""
    import tempfile

    trial_seeds()
    os.environ[_LEDGERS_ENV] = tempfile.mkdtemp(prefix="log-assets-fault-ledgers-")


def pytest_generate_tests(metafunc):
    if "trial_seed" in metafunc.fixturenames:
        seeds = trial_seeds()
        metafunc.parametrize("trial_seed", seeds, ids=[f"{s}-{KIND_NAMES[s % len(KIND_NAMES)]}" for s in seeds])


@pytest.fixture(scope="session")
def ledger(tmp_path_factory):
    path = os.environ.get("LOG_ASSETS_FAULT_REPORT") or str(tmp_path_factory.getbasetemp() / "fault-report.json")
    _REPORT["path"] = path
    yield LEDGER
    record = {
        "summary": LEDGER.summary(),
        "faults": dict(LEDGER.faults),
        "violations": LEDGER.violations,
        "trials": LEDGER.trials,
    }
    ledgers = os.environ.get(_LEDGERS_ENV)
    if ledgers:  # a worker: the controller writes the report from every worker's ledger
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        Path(ledgers, f"{worker}.json").write_text(json.dumps(record, default=str))
    else:
        Path(path).write_text(json.dumps(record, indent=1, default=str))


def _gather_worker_ledgers() -> None:
    """In the controller: the workers' ledgers, into LEDGER (and the report file)."""
    ledgers = os.environ.get(_LEDGERS_ENV)
    if not ledgers or not Path(ledgers).is_dir():
        return
    for f in sorted(Path(ledgers).glob("*.json")):
        rec = json.loads(f.read_text())
        LEDGER.trials += rec["trials"]
        LEDGER.faults.update(rec["faults"])
        LEDGER.violations += rec["violations"]
    if LEDGER.trials:
        path = os.environ.get("LOG_ASSETS_FAULT_REPORT") or str(Path(ledgers) / "fault-report.json")
        _REPORT["path"] = path
        record = {
            "summary": LEDGER.summary(),
            "faults": dict(LEDGER.faults),
            "violations": LEDGER.violations,
            "trials": LEDGER.trials,
        }
        Path(path).write_text(json.dumps(record, indent=1, default=str))


def write_summary(terminalreporter) -> None:
    if os.environ.get(_LEDGERS_ENV) and not LEDGER.trials:
        _gather_worker_ledgers()
        if not LEDGER.trials:
            return  # no trial ran in any worker
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


def pytest_terminal_summary(terminalreporter):
    if not os.environ.get(_LEDGERS_ENV):  # without xdist; with it the controller's tests/conftest.py writes
        write_summary(terminalreporter)
