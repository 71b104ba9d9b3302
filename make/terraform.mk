# Terraform targets, included from the top Makefile (which defines VENV, PY and
# $(VENV)/.installed). Offline checks: tf-check (tf-test, part of `make test`,
# includes tf-plan). Real deploys: plan, deploy.

TF_DIR := terraform
TF_PROFILES := $(TF_DIR)/modules/profiles
# ENV=staging: plan and deploy the environment root terraform/environments/staging
# (its own state backend, terraform.tfvars and policies/; see
# terraform/environments/README.md). Unset: terraform/ itself, with policies/.
TF_ROOT := $(if $(ENV),$(TF_DIR)/environments/$(ENV),$(TF_DIR))
TF_POLICIES := $(if $(ENV),$(TF_ROOT)/policies,policies)
TF_VARS := $(TF_ROOT)/terraform.tfvars
TF_BACKEND_FLAGS := $(if $(wildcard $(TF_ROOT)/backend.hcl),-backend-config=backend.hcl)
CHECKOV_VENV := .venv-checkov
# The stand-in provider (tests/terraform/standin) runs from its own venv.
TFPROVIDER_VENV := .venv-tfprovider
TF_PLAN_DIR := .tfplan
TF_APPLY_FLAGS ?=
PYTHON ?= python3

# Terraform must not call home for version checks (CI and tests are offline).
export CHECKPOINT_DISABLE := 1

.PHONY: tf-check tf-terraform-present tf-fmt tf-test tf-plan tf-pytest tf-checkov tf-preflight plan deploy

tf-check: tf-fmt tf-test tf-pytest tf-checkov  ## offline Terraform checks: fmt, terraform test, offline plan, pytest, checkov

tf-terraform-present:
	@command -v terraform >/dev/null || { \
	  echo "terraform (1.7 or newer) is not installed: install it to run the Terraform checks."; exit 1; }

tf-fmt: tf-terraform-present
	terraform fmt -check -recursive -diff $(TF_DIR)

# The profiles module is provider-free: its tests run in place. The root
# module's `terraform test` files need the providers' schemas and run inside
# tf-plan, against the stand-in.
tf-test: tf-terraform-present tf-plan
	terraform -chdir=$(TF_PROFILES) init -backend=false -input=false -no-color >/dev/null
	terraform -chdir=$(TF_PROFILES) test -no-color

$(TFPROVIDER_VENV)/.installed: tests/terraform/requirements.txt
	$(PYTHON) -m venv $(TFPROVIDER_VENV)
	$(TFPROVIDER_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(TFPROVIDER_VENV)/bin/python -m pip install --quiet --no-deps -r tests/terraform/requirements.txt
	touch $@

# Offline: init, validate and plan of the root module against the stand-in
# provider serving the real google 6.50.0 schema, the root module's terraform
# test files, then an apply of each scenario (the build step runs against a
# loopback fake of the build APIs) and a second plan of each, which must say
# "No changes"; then the assertions on all of it (plans,
# their JSON and the states stay in $(TF_PLAN_DIR)/ to read). The
# planted-mistake tests run with the rest of tests/terraform (tf-pytest, and the
# pytest run of make test, which read the same folder).
tf-plan: tf-terraform-present $(VENV)/.installed $(TFPROVIDER_VENV)/.installed  ## offline terraform init/validate/plan, apply and second plan with the stand-in provider, and checks on them
	$(PY) -m tests.terraform.offline_plan $(TF_PLAN_DIR)
	TF_PLAN_JSON_DIR=$(TF_PLAN_DIR) $(PY) -m pytest -q tests/terraform/test_plan.py tests/terraform/test_ops_reasons.py

tf-pytest: $(VENV)/.installed tf-plan
	TF_PLAN_JSON_DIR=$(TF_PLAN_DIR) $(PY) -m pytest tests/terraform

$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet -r requirements-checkov.txt
	touch $@

tf-checkov: $(CHECKOV_VENV)/.installed
	$(CHECKOV_VENV)/bin/checkov --config-file .checkov.yaml

# plan and deploy talk to Google Cloud: check what they need first, and say
# exactly what is missing. The image build step (terraform/build.tf) runs with
# the repository's .venv, which has google-auth and requests.
tf-preflight: tf-terraform-present $(VENV)/.installed
	@test -d $(TF_ROOT) || { \
	  echo "No environment $(ENV): copy $(TF_DIR)/environments/example to $(TF_ROOT) (terraform/environments/README.md)."; \
	  exit 1; }
	@# Strict: a warning (localhost origins, anonymous callers without App Check) stops
	@# the deploy. STRICT=0 deploys anyway, after printing the warnings.
	$(PY) -m tokenvend validate $(if $(filter 0,$(STRICT)),,--strict) $(TF_POLICIES) || { \
	  echo "Refused before deploying: fix the warnings above, or run again with STRICT=0 to deploy with them."; \
	  exit 1; }
	@test -f $(TF_VARS) || { \
	  echo "Missing $(TF_VARS): copy $(TF_ROOT)/terraform.tfvars.example to $(TF_VARS) and set project_id and region."; \
	  exit 1; }
	@if [ -z "$${GOOGLE_APPLICATION_CREDENTIALS}$${GOOGLE_CREDENTIALS}$${GOOGLE_OAUTH_ACCESS_TOKEN}" ]; then \
	  command -v gcloud >/dev/null || { \
	    echo "No Google Cloud credentials: install the gcloud CLI and run 'gcloud auth application-default login' (or set GOOGLE_APPLICATION_CREDENTIALS)."; \
	    exit 1; }; \
	  gcloud auth application-default print-access-token >/dev/null 2>&1 || { \
	    echo "No Google Cloud credentials: run 'gcloud auth application-default login' (or set GOOGLE_APPLICATION_CREDENTIALS)."; \
	    exit 1; }; \
	fi
	terraform -chdir=$(TF_ROOT) init -input=false $(TF_BACKEND_FLAGS)

# plan and deploy check only what they deploy: the policies in policies/ (or the
# environment's).
plan: tf-preflight  ## show what deploy would change in Google Cloud (validates --strict first, STRICT=0 lets warnings through; needs gcloud credentials and terraform/terraform.tfvars; ENV=name for an environment)
	TF_VAR_build_python=$(abspath $(PY)) terraform -chdir=$(TF_ROOT) plan -input=false

deploy: tf-preflight  ## create or update every function in policies/ (validates --strict first, STRICT=0 lets warnings through; asks before changing anything; TF_APPLY_FLAGS=-auto-approve to skip; ENV=name for an environment)
	TF_VAR_build_python=$(abspath $(PY)) terraform -chdir=$(TF_ROOT) apply -input=false $(TF_APPLY_FLAGS)
