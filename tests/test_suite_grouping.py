"""`make test` runs the suite on two workers with `--dist loadgroup`: a module marked with an
`xdist_group` runs on one worker, so its session- and module-scoped fixtures (whole Dagster runs,
a simulator's day) are built once. pytest-xdist groups by a suffix on each test's node id, which
pytest 9.2 no longer takes (pytest-xdist#1386): nothing fails then, the fixtures are just built on
every worker. This runs a small grouped module the way `make test` does and checks it stayed on one
worker."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

MODULE = """
import pytest

pytestmark = [pytest.mark.xdist_group("one")]


@pytest.mark.parametrize("i", range(6))
def test_grouped(i):
    pass


@pytest.mark.parametrize("i", range(6))
def test_free(i):
    pass
"""


def test_a_grouped_module_runs_on_one_worker(tmp_path: Path):
    (tmp_path / "test_grouped.py").write_text(MODULE)
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-v",
            "-n",
            "2",
            "--dist",
            "loadgroup",
            "-p",
            "no:cacheprovider",
            "test_grouped.py",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    ran = re.findall(r"\[(gw\d+)\].*PASSED test_grouped\.py::(test_\w+)\[", out.stdout)
    assert len(ran) == 12, out.stdout
    workers = {w for w, name in ran if name == "test_grouped"}
    assert len(workers) == 1, f"the grouped tests ran on {sorted(workers)}:\n{out.stdout}"
