"""`python -m log_assets.warehouse sql` never writes a value's control characters to the terminal: ESC,
NUL, tabs and line breaks in values, column names and error messages are shown escaped (`\\x1b`,
`\\x00`, `\\t`, `\\n`), printable Unicode as it is."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb

from log_assets.warehouse.__main__ import format_table

ROOT = Path(__file__).resolve().parents[2]

HOSTILE = "\x1b[31mred\x00end\ttab\nline\x07\u2028é✓"
SHOWN = "\\x1b[31mred\\x00end\\ttab\\nline\\x07\\u2028é✓"


def _warehouse(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    with duckdb.connect(str(home / "warehouse.duckdb")) as conn:
        conn.execute('CREATE TABLE t (v VARCHAR, "\x1b[2Jname" VARCHAR)')
        conn.execute("INSERT INTO t VALUES (?, 'x')", [HOSTILE])
    return home


def _sql(home: Path, statement: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOG_ASSETS_")}
    env["LOG_ASSETS_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "log_assets.warehouse", "sql", statement],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=120,
    )


def _no_controls(data: bytes) -> bool:
    text = data.decode()
    return all(c == "\n" or c.isprintable() for c in text)


def test_values_and_column_names_are_shown_escaped(tmp_path):
    proc = _sql(_warehouse(tmp_path), "FROM t")
    assert proc.returncode == 0, proc.stderr
    assert _no_controls(proc.stdout), proc.stdout
    lines = proc.stdout.decode().splitlines()
    assert lines[0].split(" | ") == ["v".ljust(len(SHOWN)), "\\x1b[2Jname"]
    assert lines[2].split(" | ")[0] == SHOWN
    assert lines[-1] == "(1 row)"


def test_an_error_quoting_a_value_is_shown_escaped(tmp_path):
    proc = _sql(_warehouse(tmp_path), "SELECT CAST(v AS INTEGER) FROM t")
    assert proc.returncode == 1
    assert proc.stdout == b""
    assert _no_controls(proc.stderr) and len(proc.stderr.decode().splitlines()) == 1, proc.stderr
    assert "\\x1b[31mred" in proc.stderr.decode()


def test_format_table_escapes_every_control_character():
    out = format_table(["a\x00"], [("\x1b[31m",), ("\x7f\x9b",)]).splitlines()
    assert out[0] == "a\\x00" and out[2] == "\\x1b[31m" and out[3] == "\\x7f\\x9b"
