"""docs/tables.md lists every table and column of a warehouse built from simulator data."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from log_assets.warehouse import connect_readonly

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "docs"))
import build_tables_md  # noqa: E402

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_tables_doc_is_current(warehouse_home):
    con = connect_readonly(warehouse_home)
    try:
        text, missing = build_tables_md.build(con)
    finally:
        con.close()
    assert not missing, f"columns without a description in docs/build_tables_md.py: {missing}"
    assert build_tables_md.OUTPUT.read_text(encoding="utf-8") == text, (
        "docs/tables.md is out of date: run python docs/build_tables_md.py <a built LOG_ASSETS_HOME>"
    )
