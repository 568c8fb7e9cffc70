# log-assets: the commands users and CI rely on (see docs/ and README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DAGSTER := $(VENV)/bin/dagster
STAMP := $(VENV)/.installed-stamp
export LOG_ASSETS_HOME ?= $(CURDIR)/data
export DAGSTER_HOME ?= $(LOG_ASSETS_HOME)/dagster_home

.PHONY: install lock lint format typecheck test test-fast test-long ui demo bench clean

install: $(STAMP)

# Create .venv and install the package with its dev extras once, at the versions in requirements.lock
# (the ones the tests passed with); redo only when pyproject or the lock changes.
$(STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements.lock -e '.[dev]'
	@touch $(STAMP)

# Resolve the newest versions pyproject.toml allows into requirements.lock (then run `make test`).
lock: $(STAMP)
	$(PY) -m pip install --quiet uv
	$(VENV)/bin/uv pip compile --upgrade --quiet pyproject.toml --extra dev --extra notebook \
		--python-version 3.11 -o requirements.lock

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

typecheck: $(STAMP)
	$(VENV)/bin/mypy

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	@mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml

# The whole suite; the fault suite on its committed seeds (tests/faults/seeds.txt).
test: $(STAMP)
	$(PY) -m pytest -q

# The unit tier: no end-to-end runs, nothing slow (under 2 minutes).
test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not slow and not e2e"

# The fault suite's long mode: new seeds drawn and printed, so a failure can be replayed with
# LOG_ASSETS_FAULT_SEED=<seed>.
test-long: $(STAMP)
	LOG_ASSETS_FAULT_TRIALS=$${LOG_ASSETS_FAULT_TRIALS:-60} $(PY) -m pytest -q tests/faults

ui: $(STAMP) $(DAGSTER_HOME)/dagster.yaml
	$(PY) -m log_assets.ui

demo: $(STAMP)
	$(PY) -m log_assets.demo

bench: $(STAMP)
	$(PY) -m benchmarks.run

clean:
	rm -rf data .pytest_cache
