"""The deployment files in deploy/: each parses, each Dagster instance file passes Dagster's own instance
schema (and the run launchers' schemas), the PostgreSQL instance really loads and stores a run, and the
compose file, the Kubernetes settings and the Helm values carry every variable the code needs, under
names the Dagster chart knows (tests/deploy/helm_values.schema.json, a copy of the chart's schema)."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml
from dagster._config import validate_config
from dagster._core.instance.config import dagster_instance_config
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
HERE = Path(__file__).resolve().parent

BASE = DEPLOY / "dagster.yaml"
DOCKER = DEPLOY / "docker" / "dagster.yaml"
K8S = DEPLOY / "k8s" / "dagster.yaml"
INSTANCE_FILES = [BASE, DOCKER, K8S]

# What a run (and the code server, which evaluates schedules and sensors) reads from its environment:
# docs/INTERFACE.md, "Configuration" and "Cluster mode". LOG_ASSETS_HOME is scratch, set by the image.
SOURCE_VARS = {
    "FORCEPOINT_API_URL",
    "FORCEPOINT_API_TOKEN",
    "FORCEPOINT_USERNAME",
    "FORCEPOINT_PASSWORD",
    "APERTURE_API_URL",
    "APERTURE_CLIENT_ID",
    "APERTURE_CLIENT_SECRET",
}
CLUSTER_VARS = {
    "LOG_ASSETS_DATABASE_URL",
    "LOG_ASSETS_STORAGE_URL",
    "AWS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_REGION",
}
DAGSTER_PG_VARS = {
    "DAGSTER_PG_HOST",
    "DAGSTER_PG_PORT",
    "DAGSTER_PG_USERNAME",
    "DAGSTER_PG_PASSWORD",
    "DAGSTER_PG_DB",
}
RUN_VARS = SOURCE_VARS | CLUSTER_VARS | DAGSTER_PG_VARS
# Credentials: only ever in a Secret or the uncommitted deploy/.env, never with a value in a file here.
SECRET_VARS = {
    "FORCEPOINT_API_TOKEN",
    "FORCEPOINT_USERNAME",
    "FORCEPOINT_PASSWORD",
    "APERTURE_CLIENT_ID",
    "APERTURE_CLIENT_SECRET",
    "LOG_ASSETS_DATABASE_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "DAGSTER_PG_PASSWORD",
}


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def env_names(config: Any) -> set[str]:
    """Every variable a Dagster config reads through `{env: NAME}`."""
    if isinstance(config, dict):
        if set(config) == {"env"}:
            return {config["env"]}
        return set().union(*(env_names(v) for v in config.values())) if config else set()
    if isinstance(config, list):
        return set().union(*(env_names(v) for v in config)) if config else set()
    return set()


def env_file(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            out[key] = value
    return out


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


# Keys Dagster's instance config spells in camel case itself (a tag limit's `value`).
CAMEL_IN_DAGSTER = frozenset({"applyLimitPerUniqueValue"})


def snake_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k if k in CAMEL_IN_DAGSTER else snake(k): snake_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [snake_keys(v) for v in value]
    return value


# --- every file parses ---------------------------------------------------------------------------------


def test_every_yaml_file_parses():
    files = sorted([*DEPLOY.rglob("*.yaml"), *DEPLOY.rglob("*.yml")])
    assert {p.relative_to(DEPLOY).as_posix() for p in files} >= {
        "dagster.yaml",
        "docker/dagster.yaml",
        "docker/workspace.yaml",
        "docker-compose.yml",
        "k8s/dagster.yaml",
        "k8s/log-assets-config.yaml",
        "helm/values.yaml",
    }
    for path in files:
        docs = list(yaml.safe_load_all(path.read_text()))
        assert docs and all(isinstance(d, dict) for d in docs), path


# --- the Dagster instance files ------------------------------------------------------------------------


@pytest.mark.parametrize("path", INSTANCE_FILES, ids=lambda p: p.relative_to(DEPLOY).as_posix())
def test_instance_file_passes_dagsters_schema(path):
    # Dagster's own loader: the instance schema, the storage selector, the concurrency rules.
    config, custom_class = dagster_instance_config(str(path.parent), path.name)
    assert custom_class is None
    assert set(config["storage"]) == {"postgres"}
    assert config["telemetry"] == {"enabled": False}
    assert config["run_coordinator"]["class"] == "QueuedRunCoordinator"
    # Nothing but the environment names the database or holds a password.
    assert env_names(config["storage"]) == DAGSTER_PG_VARS


def test_launcher_variants_are_the_shared_instance_plus_a_launcher():
    base = load(BASE)
    assert "run_launcher" not in base
    for path, launcher in ((DOCKER, "DockerRunLauncher"), (K8S, "K8sRunLauncher")):
        variant = load(path)
        assert variant.pop("run_launcher")["class"] == launcher
        assert variant == base, f"{path.relative_to(ROOT)} drifted from deploy/dagster.yaml"


def test_concurrency_keeps_the_repository_rules():
    """The Aperture drain tag and the pools of the one-machine dagster.yaml, with room for every log type."""
    ours = load(BASE)["concurrency"]
    local = load(ROOT / "log_assets" / "data" / "dagster.yaml")["concurrency"]
    assert ours["pools"] == local["pools"] == {"default_limit": 1, "granularity": "op"}
    assert ours["runs"]["tag_concurrency_limits"] == local["runs"]["tag_concurrency_limits"]
    from log_assets.catalog import FORCEPOINT_TYPES
    from log_assets.defs.aperture.jobs import DRAIN_TAG

    # one drain at a time per tenant (the tag's value), tenants apart
    per_tenant = {"key": DRAIN_TAG, "value": {"applyLimitPerUniqueValue": True}, "limit": 1}
    assert per_tenant in ours["runs"]["tag_concurrency_limits"]
    assert ours["runs"]["max_concurrent_runs"] >= len(FORCEPOINT_TYPES) + 2


def _launcher(path: Path) -> tuple[type, dict]:
    section = load(path)["run_launcher"]
    module = importlib.import_module(section["module"])
    return getattr(module, section["class"]), section["config"]


def test_docker_launcher_config_fits_dagster_docker():
    import dagster_docker  # noqa: F401 (the `deploy` extra; a missing one fails, it is in the dev extra)

    cls, config = _launcher(DOCKER)
    result = validate_config(cls.config_type(), config)
    assert result.success, result.errors
    # Every run container gets what the code and the instance read, and nothing is left out.
    assert set(config["env_vars"]) == RUN_VARS
    assert all("=" not in name for name in config["env_vars"]), "values come from the daemon's environment"
    compose = load(DEPLOY / "docker-compose.yml")
    assert config["network"] == compose["networks"]["default"]["name"]


def test_k8s_launcher_config_fits_dagster_k8s():
    import dagster_k8s  # noqa: F401 (the `deploy` extra)

    cls, config = _launcher(K8S)
    result = validate_config(cls.config_type(), config)
    assert result.success, result.errors
    assert config["env_config_maps"] == [load(DEPLOY / "k8s" / "log-assets-config.yaml")["metadata"]["name"]]
    assert config["env_secrets"] == ["log-assets-secrets"]


# --- the PostgreSQL instance really works ---------------------------------------------------------------


@pytest.fixture
def pg_env(postgres, monkeypatch) -> dict[str, str]:
    url = make_url(postgres.create_database())
    env = {
        "DAGSTER_PG_HOST": url.host,
        "DAGSTER_PG_PORT": str(url.port),
        "DAGSTER_PG_USERNAME": url.username,
        "DAGSTER_PG_PASSWORD": url.password or "",
        "DAGSTER_PG_DB": url.database,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def _instance_dir(tmp_path: Path, source: Path) -> Path:
    home = tmp_path / "dagster_home"
    home.mkdir(parents=True)
    shutil.copy(source, home / "dagster.yaml")
    return home


def test_postgres_instance_loads_and_records_a_run(pg_env, tmp_path):
    from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage

    @dg.asset(pool="duckdb_warehouse")
    def deploy_probe() -> int:
        return 1

    with dg.DagsterInstance.from_config(str(_instance_dir(tmp_path, BASE))) as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
        assert isinstance(instance.run_coordinator, dg.QueuedRunCoordinator)

        result = dg.materialize([deploy_probe], instance=instance)
        assert result.success

        record = instance.get_run_record_by_id(result.run_id)
        assert record is not None and record.dagster_run.status == dg.DagsterRunStatus.SUCCESS
        event = instance.get_latest_materialization_event(dg.AssetKey("deploy_probe"))
        assert event is not None and event.run_id == result.run_id
        # The step ran in the pool; the pool got the default limit of one slot.
        info = instance.event_log_storage.get_concurrency_info("duckdb_warehouse")
        assert info.slot_count == 1
        run_queue = instance.get_concurrency_config().run_queue_config
        assert run_queue is not None and run_queue.max_concurrent_runs == 12

    # A second instance on the same database (another webserver, the daemon, a run worker) sees it.
    with dg.DagsterInstance.from_config(str(_instance_dir(tmp_path / "again", BASE))) as other:
        assert other.get_run_record_by_id(result.run_id) is not None


def test_docker_instance_loads_its_launcher(pg_env, tmp_path):
    from dagster_docker import DockerRunLauncher

    with dg.DagsterInstance.from_config(str(_instance_dir(tmp_path, DOCKER))) as instance:
        launcher = instance.run_launcher
        assert isinstance(launcher, DockerRunLauncher)
        assert set(launcher.env_vars) == RUN_VARS
        assert launcher.networks == ["log_assets"]


# --- docker compose ------------------------------------------------------------------------------------


def test_compose_has_every_service_and_the_code_gets_its_environment():
    compose = load(DEPLOY / "docker-compose.yml")
    services = compose["services"]
    assert set(services) >= {"postgres", "s3", "storage-init", "user_code", "webserver", "daemon"}

    example = env_file(DEPLOY / ".env.example")
    assert set(example) >= RUN_VARS
    # The code server (schedules, sensors) and the daemon (which hands the variables to each run)
    # read the whole file; the webserver gets Dagster's database only.
    for name in ("user_code", "daemon", "storage-init"):
        assert services[name]["env_file"] == ".env", name
    assert set(services["webserver"]["environment"]) == DAGSTER_PG_VARS
    for name in ("postgres", "s3"):
        assert "env_file" not in services[name], f"{name} needs none of the source credentials"

    # One image for the code server, the webserver, the daemon and the runs, built by deploy/Dockerfile.
    image = services["user_code"]["image"]
    for name in ("storage-init", "user_code", "webserver", "daemon"):
        assert services[name]["image"] == image
        assert services[name]["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
    assert services["user_code"]["environment"]["DAGSTER_CURRENT_IMAGE"] == image

    # The webserver and the daemon reach the code server where it listens.
    command = services["user_code"]["command"]
    assert command[command.index("-m") + 1] == "log_assets.definitions"
    grpc = load(DEPLOY / "docker" / "workspace.yaml")["load_from"][0]["grpc_server"]
    assert grpc["host"] == "user_code"
    assert str(grpc["port"]) == command[command.index("-p") + 1]
    assert grpc["location_name"] == command[command.index("--location-name") + 1]

    # Each file the services mount is in deploy/, and the instance they mount is the Docker one.
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source, target = volume.split(":")[:2]
            if source.startswith("./"):
                assert (DEPLOY / source).is_file(), f"{name} mounts missing {source}"
            if target.endswith("dagster_home/dagster.yaml"):
                assert source == "./docker/dagster.yaml"
    assert "/var/run/docker.sock:/var/run/docker.sock" in services["daemon"]["volumes"]


def test_env_example_holds_no_credential_and_names_every_variable_the_instance_reads():
    example = env_file(DEPLOY / ".env.example")
    for name in SECRET_VARS - {"LOG_ASSETS_DATABASE_URL"}:
        assert example[name] == "", f"{name} must stay empty in the example"
    assert make_url(example["LOG_ASSETS_DATABASE_URL"]).password == "PASSWORD"  # a placeholder
    assert env_names(load(DOCKER)) <= set(example)
    assert ".env" in (DEPLOY / ".gitignore").read_text().split()
    assert make_url(example["LOG_ASSETS_DATABASE_URL"]).database == "log_assets"
    assert "CREATE DATABASE log_assets;" in (DEPLOY / "docker" / "postgres-init.sql").read_text()


def test_dockerfile_installs_the_locked_versions_with_the_launchers():
    text = (DEPLOY / "Dockerfile").read_text()
    assert "pip install -c requirements.lock '.[deploy]'" in text
    for source in re.findall(r"^COPY (.+) \S+$", text, flags=re.M):
        for part in source.split():
            assert (ROOT / part).exists(), part
    assert '"log_assets.definitions"' in text


def _load_create_bucket():
    spec = importlib.util.spec_from_file_location("create_bucket", DEPLOY / "docker" / "create_bucket.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_storage_init_creates_the_bucket_once(s3):
    create_bucket = _load_create_bucket()
    env = {**s3.env(), "LOG_ASSETS_STORAGE_URL": "s3://deploy-lake/lake"}
    assert create_bucket.ensure_bucket(env) == "deploy-lake"
    assert create_bucket.ensure_bucket(env) == "deploy-lake"  # again: already there, no error
    assert create_bucket.ensure_bucket({"LOG_ASSETS_STORAGE_URL": "/srv/log-assets"}) is None


# --- Kubernetes and the Helm chart ---------------------------------------------------------------------


def test_k8s_settings_and_secret_cover_every_variable():
    config_map = load(DEPLOY / "k8s" / "log-assets-config.yaml")
    assert config_map["kind"] == "ConfigMap" and config_map["apiVersion"] == "v1"
    settings = set(config_map["data"])
    assert not settings & SECRET_VARS, "credentials go in the Secret"
    assert all(isinstance(v, str) for v in config_map["data"].values())
    # The Secret is made with kubectl from the README's command: it names each credential.
    readme = (DEPLOY / "README.md").read_text()
    secret_command = readme[readme.index("kubectl create secret generic log-assets-secrets") :]
    secret_command = secret_command[: secret_command.index("```")]
    in_secret = set(re.findall(r"--from-literal=([A-Z_]+)=", secret_command))
    assert in_secret == SECRET_VARS
    assert settings | in_secret == RUN_VARS


def test_helm_values_use_only_the_charts_keys():
    import jsonschema

    schema = json.loads((HERE / "helm_values.schema.json").read_text())
    values = load(DEPLOY / "helm" / "values.yaml")
    jsonschema.Draft7Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(values), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors)


def test_helm_values_render_the_same_instance_as_deploy_k8s():
    values = load(DEPLOY / "helm" / "values.yaml")
    base = load(BASE)
    k8s = load(K8S)["run_launcher"]["config"]

    assert values["concurrency"]["enabled"] is True
    assert snake_keys({k: v for k, v in values["concurrency"].items() if k != "enabled"}) == base["concurrency"]
    assert values["telemetry"] == base["telemetry"]
    assert values["dagsterDaemon"]["runCoordinator"]["type"] == "QueuedRunCoordinator"
    monitoring = values["dagsterDaemon"]["runMonitoring"]
    assert monitoring["enabled"] is True
    assert monitoring["startTimeoutSeconds"] == base["run_monitoring"]["start_timeout_seconds"]

    launcher = values["runLauncher"]["config"]["k8sRunLauncher"]
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    assert [s["name"] for s in launcher["envSecrets"]] == k8s["env_secrets"]
    assert [c["name"] for c in launcher["envConfigMaps"]] == k8s["env_config_maps"]
    assert launcher["resources"] == k8s["resources"]
    assert launcher["imagePullPolicy"] == k8s["image_pull_policy"]

    (deployment,) = values["dagster-user-deployments"]["deployments"]
    assert deployment["codeServerArgs"][deployment["codeServerArgs"].index("-m") + 1] == "log_assets.definitions"
    assert [s["name"] for s in deployment["envSecrets"]] == k8s["env_secrets"]
    assert [c["name"] for c in deployment["envConfigMaps"]] == k8s["env_config_maps"]
    assert values["postgresql"]["enabled"] is False
    assert values["postgresql"]["postgresqlScheme"] == base["storage"]["postgres"]["postgres_db"]["scheme"]
    assert "postgresqlPassword" not in values["postgresql"]
    assert values["generatePostgresqlPasswordSecret"] is False


def test_no_file_in_deploy_holds_a_credential():
    """Credential variables appear in deploy/ only as names, empty, or as a placeholder."""
    assigned = re.compile(r"(?<![{$\w])(" + "|".join(sorted(SECRET_VARS)) + r")[ \t]*[:=][ \t]*[\"']?([^\s\"'#]+)")
    for path in DEPLOY.rglob("*"):
        if path.is_file() and path.name != ".env":
            for match in assigned.finditer(path.read_text()):
                value = match.group(2)
                # `${VAR}` (compose), `$VAR` (a shell), `...` (to fill in) or the URL's placeholder password
                assert value.startswith(("$", "postgresql+psycopg2://dagster:PASSWORD@")) or value == "...", (
                    f"{path.relative_to(ROOT)}: {match.group(0)}"
                )
