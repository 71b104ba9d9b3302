# The browser side: the example page, its end-to-end test in headless Chromium, the
# OpenAPI contract, and the smoke test against the real Gemini API.

CHROMIUM ?= /usr/bin/chromium
WEB := examples/web
E2E := tests/e2e
WEB_PORT ?= 8000

.PHONY: e2e example-web openapi-check smoke

e2e: chromium-available $(VENV)/.installed $(WEB)/dist/app.js $(E2E)/node_modules/.package-lock.json  ## the example page in headless Chromium against local fakes
	CHROMIUM=$(CHROMIUM) $(PY) -m pytest $(E2E)/e2e_browser.py -p no:cacheprovider
	@echo "Screenshots, the function's log and what the fakes recorded: $(E2E)/output/"

example-web: $(WEB)/dist/app.js  ## serve the example page on http://localhost:$(WEB_PORT) (with `make run` beside it)
	@echo "Open http://localhost:$(WEB_PORT)/ ; it asks the function URL in $(WEB)/config.js for tokens."
	$(PYTHON) -m http.server $(WEB_PORT) --bind 127.0.0.1 --directory $(WEB)

openapi-check: $(VENV)/.installed  ## openapi.yaml is valid and the real responses conform (schemathesis too)
	$(PY) -m pytest tests/test_openapi.py -p no:cacheprovider

smoke: $(VENV)/.installed  ## after deploying: does Gemini enforce a locked policy? (needs GEMINI_API_KEY; never in CI)
	$(PY) tools/smoke.py

$(WEB)/dist/app.js: $(WEB)/node_modules/.package-lock.json $(WEB)/src/*.js
	cd $(WEB) && npm run --silent build

$(WEB)/node_modules/.package-lock.json: $(WEB)/package-lock.json | npm-available
	cd $(WEB) && npm ci --no-audit --no-fund --loglevel=error

$(E2E)/node_modules/.package-lock.json: $(E2E)/package-lock.json | npm-available
	cd $(E2E) && npm ci --no-audit --no-fund --loglevel=error

.PHONY: chromium-available npm-available
chromium-available:
	@test -x $(CHROMIUM) || { \
	  echo "make e2e drives Debian's Chromium at $(CHROMIUM), which is not installed."; \
	  echo "Install it with:  sudo apt-get install -y chromium   (or set CHROMIUM=/path/to/chromium)"; \
	  exit 1; }

npm-available:
	@command -v npm >/dev/null || { \
	  echo "Node.js 20+ and npm are needed for the example page: sudo apt-get install -y nodejs npm"; \
	  exit 1; }
