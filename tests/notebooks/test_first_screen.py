"""The notebook's first screen (set-up, then open alerts and top entities) on a warehouse with the
detections tables and on one without them yet: the open alerts and entities, or one clear line."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.alerts.fixtures import alert, publish

NOTEBOOK = Path(__file__).resolve().parents[2] / "log_assets" / "data" / "security_analyst.ipynb"

pytestmark = pytest.mark.slow


def first_screen(home: Path, monkeypatch) -> list[str]:
    """Run the notebook up to its alerts section; the text each code cell printed or displayed."""
    monkeypatch.setenv("LOG_ASSETS_HOME", str(home))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    end = next(i for i, c in enumerate(nb.cells) if "OPEN_ALERTS_SQL" in c.source)
    nb.cells = nb.cells[: end + 1]
    NotebookClient(nb, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(home)}}).execute()
    texts = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.source[:80]
        texts.append("".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in cell.outputs))
    assert "image/png" in str(nb.cells[-1].outputs)  # the entities chart (or its "no data" frame)
    return texts


def test_it_shows_open_alerts_and_top_entities(tmp_path, monkeypatch):
    publish(
        tmp_path,
        [
            alert("a1", "2026-12-01 10:00", entity="alice@acme-corp.example", events=12),
            alert("a2", "2026-12-01 11:00", entity="alice@acme-corp.example", rule_id="forcepoint_new_admin"),
            alert("a3", "2026-12-01 12:00", entity="bob@acme-corp.example"),
            alert("s1", "2026-12-01 13:00", entity="carol@acme-corp.example", status="suppressed"),
        ],
    )
    shown = first_screen(tmp_path, monkeypatch)[-1]
    assert "open alerts (newest 3)" in shown and "top entities by open alerts" in shown
    assert all(i in shown for i in ("a1", "a2", "a3")) and "s1" not in shown and "carol" not in shown
    assert "New administrator" in shown  # the rule's title from detections.rules
    entities = shown[shown.index("top entities") :]
    assert entities.index("alice@acme-corp.example") < entities.index("bob@acme-corp.example")


def test_without_the_detections_tables_it_says_so_in_one_line(tmp_path, monkeypatch):
    publish(tmp_path, None)
    shown = first_screen(tmp_path, monkeypatch)[-1]
    assert shown.strip().startswith("No alerts yet: this warehouse has no detections.alerts table.")
    assert "Traceback" not in shown and "Error" not in shown
