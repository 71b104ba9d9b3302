# budget_guard locally (docs/operations.md#the-budget-guard): the CloudEvent
# entry point of main.py, served the way Cloud Run serves it, against the
# Firestore that FIRESTORE_EMULATOR_HOST names. Post it a notification with
# `python -m tests.quotas.budget_events URL --percent 120`.
GUARD_PORT ?= 8082
GUARD_POLICY_DIR ?= policies

.PHONY: budget-guard
budget-guard: $(VENV)/.installed  ## serve budget_guard on GUARD_PORT (default 8082) against FIRESTORE_EMULATOR_HOST, pausing every profile in GUARD_POLICY_DIR
	@test -n "$$FIRESTORE_EMULATOR_HOST" || { \
	  echo "budget-guard needs a Firestore emulator: gcloud emulators firestore start --host-port=127.0.0.1:8686, then FIRESTORE_EMULATOR_HOST=127.0.0.1:8686 make budget-guard"; \
	  exit 1; }
	@$(PY) tools/check_port.py $(GUARD_PORT) GUARD_PORT
	TOKENVEND_POLICY_DIR=$(GUARD_POLICY_DIR) TOKENVEND_FIRESTORE_TIMEOUT_SECONDS=10 GUNICORN_LOG_LEVEL=info \
	  $(VENV)/bin/functions-framework --source main.py --target budget_guard \
	  --signature-type cloudevent --host 127.0.0.1 --port $(GUARD_PORT)
