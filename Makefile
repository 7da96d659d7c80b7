# PipelineOps: the two commands a new user runs are `make demo` and `make test`.
# Every target installs what it needs from the pinned files in requirements/ first.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Extra pinned sets (e.g. Terraform tooling) installed into the same env when present.
EXTRA_REQS := $(filter-out requirements/runtime.txt requirements/dev.txt requirements/checkov.txt,$(wildcard requirements/*.txt))
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
PYTEST_WORKERS ?= 2

.PHONY: help venv demo test lint coverage unit e2e bench chaos screenshots clean
help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | sort

$(STAMP): requirements/*.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements/dev.txt $(addprefix -r ,$(EXTRA_REQS))
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

$(CHECKOV_STAMP): requirements/checkov.txt
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements/checkov.txt
	@touch $@

venv: $(STAMP) $(if $(wildcard requirements/checkov.txt),$(CHECKOV_STAMP)) ## create .venv from the pinned requirements

demo: $(STAMP) ## run the whole pipeline (PR CI, blue/green deploy, rollback) on the local engine
	$(VENV)/bin/pipelineops demo

lint: venv ## ruff, mypy, workflow/action linters
	$(VENV)/bin/ruff check src tests scripts bench
	$(VENV)/bin/ruff format --check src tests scripts bench
	$(VENV)/bin/mypy
	$(PY) scripts/lint_workflows.py

coverage: venv ## 100% line and branch coverage of the pure layers (plan/, report/) by their unit tests
	$(PY) -m pytest -q -p no:cacheprovider tests/unit/plan tests/unit/report \
		--cov=pipelineops.plan --cov=pipelineops.report --cov-branch --cov-report=term-missing:skip-covered \
		--cov-fail-under=100

test: venv lint coverage ## lint, coverage of the pure layers, then the whole test suite
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile -q --durations=25

unit: venv ## the fast tests only
	$(PY) -m pytest -q -m "not e2e and not snowflake_e2e"

bench: venv ## benchmarks; results to bench/results/
	$(PY) -m bench

CHAOS_OPERATIONS ?= 300
chaos: venv ## long chaos walk: deploy/backfill/rollback/restore with kills and races; counts to bench/results/chaos.json
	$(PY) -m tests.chaos.walk --operations $(CHAOS_OPERATIONS)

SCREENSHOTS ?= pr-comment-failed-test deploy-blocked-gate
screenshots: venv ## render golden Markdown to docs/images/*.html and, with a headless Chromium, *.png
	$(PY) scripts/screenshots.py $(SCREENSHOTS)

clean: ## remove the envs and local warehouses
	rm -rf $(VENV) $(CHECKOV_VENV) .pipelineops dbt/target dbt/logs
