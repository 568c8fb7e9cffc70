# log-assets: the commands users and CI rely on (see docs/ and README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DAGSTER := $(VENV)/bin/dagster
STAMP := $(VENV)/.installed-stamp
export LOG_ASSETS_HOME ?= $(CURDIR)/data
export DAGSTER_HOME ?= $(LOG_ASSETS_HOME)/dagster_home
# The demo's own home (`make demo`, `LOG_ASSETS_DEMO=1 make ui`): demo data is never real data.
export LOG_ASSETS_DEMO_HOME ?= $(CURDIR)/data-demo

.PHONY: install lock lint format typecheck test test-fast test-long ui demo bench notebook example clean

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
	$(VENV)/bin/uv pip compile --upgrade --quiet pyproject.toml --extra dev --extra dg --extra notebook --extra deploy \
		--python-version 3.11 -o requirements.lock

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

typecheck: $(STAMP)
	$(VENV)/bin/mypy

# The whole suite on $(TEST_WORKERS) workers (a module sharing a module-scoped fixture stays on one);
# the fault suite on its committed seeds (tests/faults/seeds.txt). The slowest tests are listed at
# the end, so the suite's time can be watched where it grows; the last line is the suite's wall time
# (README states the figure: keep it true when the suite grows).
TEST_WORKERS ?= 2
test: $(STAMP)
	@start=$$(date +%s); \
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadgroup --durations=25; rc=$$?; \
	secs=$$(( $$(date +%s) - start )); \
	echo "make test: wall time $$((secs / 60)) min $$((secs % 60)) s on $(TEST_WORKERS) workers (exit $$rc)"; \
	exit $$rc

# The unit tier: no end-to-end runs, nothing slow (under 2 minutes).
test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not slow and not e2e"

# The fault suite's long mode: new seeds drawn and printed, so a failure can be replayed with
# LOG_ASSETS_FAULT_SEED=<seed>.
test-long: $(STAMP)
	LOG_ASSETS_FAULT_TRIALS=$${LOG_ASSETS_FAULT_TRIALS:-60} $(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadgroup tests/faults

# The UI on http://127.0.0.1:$(UI_PORT), on $(LOG_ASSETS_HOME) (instance in $(DAGSTER_HOME), the packaged
# log_assets/data/dagster.yaml copied there when missing or older); with LOG_ASSETS_DEMO=1 on the demo's
# home $(LOG_ASSETS_DEMO_HOME) and a simulator it starts.
UI_PORT ?= 3000
ui: $(STAMP)
	$(PY) -m log_assets.ui --port $(UI_PORT)

# Into $(LOG_ASSETS_DEMO_HOME), never $(LOG_ASSETS_HOME); refuses a folder real runs wrote to.
demo: $(STAMP)
	$(PY) -m log_assets.demo

bench: $(STAMP)
	$(PY) -m benchmarks.run

# The example project (examples/two-tenants: the Component for two tenants) end to end from the built
# wheel, installed into a fresh virtual environment: `dg check defs`, then each tenant's assets against
# its own simulator.
example: $(STAMP)
	PYTHON=$(PYTHON) examples/run

# The analyst notebook (log_assets/data/, written by notebooks/build_notebook.py) in JupyterLab on
# http://127.0.0.1:$(NOTEBOOK_PORT) (the [notebook] extra installed
# first), reading the warehouse of $(LOG_ASSETS_HOME); LOG_ASSETS_DEMO=1 reads the demo's home instead.
# NOTEBOOK_ARGS: more options for `jupyter lab` (e.g. --allow-root in a container that runs as root).
NOTEBOOK_PORT ?= 8888
NOTEBOOK_ARGS ?=
NOTEBOOK_HOME = $(if $(filter 1,$(LOG_ASSETS_DEMO)),$(LOG_ASSETS_DEMO_HOME),$(LOG_ASSETS_HOME))
NOTEBOOK_STAMP := $(VENV)/.notebook-stamp
$(NOTEBOOK_STAMP): $(STAMP) pyproject.toml requirements.lock
	$(PY) -m pip install --quiet -c requirements.lock -e '.[notebook]'
	@touch $(NOTEBOOK_STAMP)

notebook: $(NOTEBOOK_STAMP)
	LOG_ASSETS_HOME='$(NOTEBOOK_HOME)' $(VENV)/bin/jupyter lab --ip=127.0.0.1 --port=$(NOTEBOOK_PORT) $(NOTEBOOK_ARGS) \
		log_assets/data/security_analyst.ipynb

clean:
	rm -rf data .pytest_cache
