# The one interface for people and CI. Every target sets up what it needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PROFILE ?= voice-assistant
PORT ?= 8080
FAKE_GEMINI_PORT ?= 8081
# A profile in policies/ wins; otherwise `make run PROFILE=case-2-locked` finds the example.
POLICY_DIR ?= $(if $(wildcard policies/$(PROFILE).yaml),policies,$(if $(wildcard examples/policies/$(PROFILE).yaml),examples/policies,policies))

.PHONY: help run test lint validate fake-gemini clean

help:  ## list the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | sort

# Two steps into one venv: what the function runs on (enough for run, fake-gemini and
# demo, so a first `make run` is quick), then the dev toolchain on top for the rest.
$(VENV)/.runtime: requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "Python 3.11 or newer is needed (PYTHON=$(PYTHON))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.runtime  ## serve PROFILE (default voice-assistant; examples too) on PORT (default 8080)
	@$(PY) tools/check_port.py $(PORT) PORT
	TOKENVEND_PROFILE=$(PROFILE) TOKENVEND_POLICY_DIR=$(POLICY_DIR) GUNICORN_LOG_LEVEL=info \
	  $(VENV)/bin/functions-framework --source main.py --target mint_token --host 127.0.0.1 --port $(PORT)

test: lint validate tf-fmt tf-test tf-checkov  ## lint, validate, offline Terraform checks, whole test suite with a coverage gate
	TF_PLAN_JSON_DIR=$(TF_PLAN_DIR) $(PY) -m pytest --cov --cov-report=term:skip-covered

lint: $(VENV)/.installed  ## ruff and mypy --strict
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

VALIDATE_PATHS ?= policies examples/policies
validate: $(VENV)/.installed  ## check policies against the schema (VALIDATE_PATHS=..., STRICT=1 refuses warnings)
	$(PY) -m tokenvend validate $(if $(filter-out 0,$(STRICT)),--strict) $(VALIDATE_PATHS)

fake-gemini: $(VENV)/.runtime  ## a local stand-in for Gemini's auth_tokens on FAKE_GEMINI_PORT (default 8081)
	@$(PY) tools/check_port.py $(FAKE_GEMINI_PORT) FAKE_GEMINI_PORT
	$(PY) -m tests.fakes.gemini --port $(FAKE_GEMINI_PORT)

# Each capability (terraform, e2e, bench, ...) keeps its targets in a fragment of its own.
include $(sort $(wildcard make/*.mk))

clean:  ## remove the virtual environments and caches
	rm -rf $(VENV) .venv-* .pytest_cache .mypy_cache .ruff_cache .hypothesis .tfplan
	rm -rf client-js/node_modules recipes/node_modules recipes/vite/dist examples/web/node_modules examples/web/dist examples/node/node_modules tests/e2e/node_modules tests/e2e/output
