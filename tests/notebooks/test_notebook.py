"""The analyst notebook runs against a warehouse built from simulator data, so it cannot rot.

The warehouse (fixture `warehouse_home`, conftest.py) is built the way `make demo` builds one, with
small volumes, into a temporary home; the notebook is then executed with nbclient from `notebooks/`
with `LOG_ASSETS_HOME` pointing there.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
NOTEBOOK = ROOT / "log_assets" / "data" / "security_analyst.ipynb"

sys.path.insert(0, str(NOTEBOOKS))
import build_notebook  # noqa: E402

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_notebook_matches_its_generator():
    assert NOTEBOOK.read_text(encoding="utf-8") == build_notebook.render(), (
        "log_assets/data/security_analyst.ipynb is out of date: run python notebooks/build_notebook.py"
    )


def test_notebook_is_committed_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:80]


def test_notebook_runs_and_plots_every_section(warehouse_home, monkeypatch):
    monkeypatch.setenv("LOG_ASSETS_HOME", str(warehouse_home))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    started = time.monotonic()
    # Raises CellExecutionError (with the cell and traceback) if any cell fails.
    NotebookClient(
        nb,
        kernel_name="python3",
        timeout=180,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    ).execute()
    elapsed = time.monotonic() - started

    figures: dict[str, int] = {}
    section = None
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            heading = next((line for line in cell.source.splitlines() if line.startswith("## ")), None)
            if heading:
                section = heading[3:].strip()
                figures[section] = 0
            continue
        for out in cell.get("outputs", []):
            if section is not None and "image/png" in out.get("data", {}):
                figures[section] += 1

    analysis = [s for s in figures if s[:2] in {"1.", "2.", "3.", "4.", "5."}]
    assert len(analysis) == 5, figures
    missing = [s for s, n in figures.items() if n == 0 and s != "Going further"]
    assert not missing, f"sections without a figure: {missing} ({figures})"
    assert elapsed < 120, f"the notebook took {elapsed:.0f}s"

    # It read the warehouse it was given, not ./data.
    setup = "".join(o.get("text", "") for o in nb.cells[1].outputs)
    assert str(warehouse_home) in setup, setup
