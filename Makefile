# log-assets: the commands users and CI rely on (see docs/ and README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DAGSTER := $(VENV)/bin/dagster
STAMP := $(VENV)/.installed-stamp
export LOG_ASSETS_HOME ?= $(CURDIR)/data
export DAGSTER_HOME ?= $(LOG_ASSETS_HOME)/dagster_home

.PHONY: install test test-long ui demo bench clean

install: $(STAMP)

# Create .venv and install the package with its dev extras once; redo only when pyproject changes.
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	@mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml

test: $(STAMP)
	$(PY) -m pytest -q

# The fault suite's long mode (many randomized trials).
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
