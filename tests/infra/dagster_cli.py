"""The Dagster CLI as the tests, the fault suite and the benchmarks start it: a child process's
environment (none of the developer's project variables, the home and the Dagster instance given) and
the command lines of `dagster asset materialize` and `dagster job execute` on the package's own code
location, exactly as users run them. Used only where the CLI, a child process or a SIGKILL is what
is tested or measured; elsewhere tests run the assets in-process (`dg.materialize`)."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
# Variables of the project a developer may have set; a child process must not inherit them.
PROJECT_ENV_PREFIXES = ("FORCEPOINT_", "APERTURE_", "LOG_ASSETS_")
CODE_LOCATION = ("-m", "log_assets.definitions")
# The project's instance settings (telemetry off, run limits, pools), as `make ui` installs them.
INSTANCE_SETTINGS = ROOT / "log_assets" / "data" / "dagster.yaml"


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without the project's variables and DAGSTER_HOME, warnings and
    telemetry off, this checkout's package first on the path; then `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(PROJECT_ENV_PREFIXES) and k != "DAGSTER_HOME"}
    env.update(PYTHONWARNINGS="ignore", DAGSTER_TELEMETRY_DISABLED="1", PYTHONPATH=str(ROOT))
    env.update({k: str(v) for k, v in extra.items()})
    return env


def cli_env(
    home: Path,
    *envs: Mapping[str, str],
    dagster_home: Path | None = None,
    instance_settings: bool = False,
    drop: tuple[str, ...] = (),
) -> dict[str, str]:
    """The environment of a CLI run on `home` ($LOG_ASSETS_HOME): `clean_env()`, then `envs` in order,
    then LOG_ASSETS_HOME and DAGSTER_HOME (`dagster_home`, by default `home/dagster_home`, created;
    with `instance_settings` the project's dagster.yaml is copied there); `drop` removed at the end."""
    dh = dagster_home or home / "dagster_home"
    dh.mkdir(parents=True, exist_ok=True)
    if instance_settings:
        shutil.copy(INSTANCE_SETTINGS, dh / "dagster.yaml")
    env = clean_env()
    for more in envs:
        env.update(more)
    env.update(LOG_ASSETS_HOME=str(home), DAGSTER_HOME=str(dh))
    for k in drop:
        env.pop(k, None)
    return env


def materialize_args(
    select: str,
    first: str | None = None,
    last: str | None = None,
    config: dict | None = None,
    partition_range: str | None = None,
) -> list[str]:
    """`asset materialize` of `select`: unpartitioned, one partition (`first`), the range `first`..`last`
    or `partition_range` as written (`A...B`); `config` as --config-json."""
    args = ["asset", "materialize", *CODE_LOCATION, "--select", select]
    if partition_range is None and first is not None and last not in (None, first):
        partition_range = f"{first}...{last}"
    if partition_range is not None:
        args += ["--partition-range", partition_range]
    elif first is not None:
        args += ["--partition", first]
    if config:
        args += ["--config-json", json.dumps(config)]
    return args


def job_args(job: str, config: dict | None = None, where: Path | None = None) -> list[str]:
    """`job execute` of `job`; it takes run config from a file only (-c): written as JSON (valid YAML)
    into the folder `where`."""
    args = ["job", "execute", *CODE_LOCATION, "-j", job]
    if config:
        if where is None:
            raise ValueError("job_args needs `where` to write the run config file")
        where.mkdir(parents=True, exist_ok=True)
        path = where / f"run-config-{len(list(where.glob('run-config-*')))}.yaml"
        path.write_text(json.dumps(config))
        args += ["-c", str(path)]
    return args


def dagster_cmd(args: list[str]) -> list[str]:
    """The command line of `dagster ARGS` with this interpreter."""
    return [PY, "-m", "dagster", *args]
