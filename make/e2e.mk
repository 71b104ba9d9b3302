# The client side: the example voice page and the Node.js client, their end-to-end test
# (headless Chromium with a fake microphone, the real function, a Live stand-in), the
# OpenAPI contract, and the smoke test against the real Gemini API.

CHROMIUM ?= /usr/bin/chromium
WEB := examples/web
CLIENT := client-js
RECIPES := recipes
NODE_CLIENT := examples/node
E2E := tests/e2e
WEB_PORT ?= 8000

DEMO_PORT ?= 8000

.PHONY: e2e demo recipes example-web openapi-check smoke

E2E_DEPS := recipes $(WEB)/dist/app.js $(E2E)/node_modules/.package-lock.json \
  $(NODE_CLIENT)/node_modules/.package-lock.json $(CLIENT)/node_modules/.package-lock.json
e2e: chromium-available $(VENV)/.installed $(E2E_DEPS)  ## the voice page in headless Chromium, the client package and the Node.js client, against local fakes
	CHROMIUM=$(CHROMIUM) $(PY) -m pytest $(E2E)/e2e_browser.py $(E2E)/e2e_voice.py $(E2E)/e2e_client.py -p no:cacheprovider
	@echo "Screenshots, voice-session.json, the function's log and what the fakes recorded: $(E2E)/output/"

demo: $(VENV)/.demo $(WEB)/dist/app.js  ## the voice page working without a key: fake auth_tokens, the function, the Live stand-in; prints the URL (DEMO_PORT, default 8000)
	@$(PY) tools/check_port.py $(DEMO_PORT) DEMO_PORT
	@$(PY) -m tools.demo --port $(DEMO_PORT)

# The demo's stand-ins need one package beyond the runtime: the Live stand-in's WebSocket server.
$(VENV)/.demo: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet "$$(grep -E '^websockets==' requirements-dev.txt)"
	touch $@

example-web: $(VENV)/.runtime $(WEB)/dist/app.js  ## serve the example page on http://localhost:$(WEB_PORT) for PROFILE (with `make run` beside it); prints the one URL
	@$(PY) -m tools.serve_page --port $(WEB_PORT) --profile $(PROFILE) --policy-dir $(POLICY_DIR)

openapi-check: $(VENV)/.installed  ## openapi.yaml is valid and the real responses conform (schemathesis too)
	$(PY) -m pytest tests/test_openapi.py -p no:cacheprovider

smoke: $(VENV)/.installed  ## after deploying: does Gemini hold a locked session, at setup and after it? MODEL=... (needs GEMINI_API_KEY; never in CI)
	$(PY) tools/smoke.py $(if $(MODEL),--model $(MODEL))

$(WEB)/dist/app.js: $(WEB)/node_modules/.package-lock.json $(CLIENT)/node_modules/.package-lock.json \
  $(WEB)/src/*.js $(CLIENT)/src/*.js $(WEB)/package.json
	cd $(WEB) && npm run --silent build

# The recipes type-check against the package and Next's, React's and Vite's types; the
# Vite app is built with a function URL from the environment (e2e_client.py checks it).
recipes: $(RECIPES)/node_modules/.package-lock.json $(CLIENT)/node_modules/.package-lock.json  ## type-check the React hook, the Vite app and the Next.js page on the client package; build the Vite app
	cd $(RECIPES) && npm run --silent check
	cd $(RECIPES) && VITE_TOKENVEND_URL=http://127.0.0.1:8080/ npm run --silent build:vite

$(RECIPES)/node_modules/.package-lock.json: $(RECIPES)/package-lock.json | npm-available
	cd $(RECIPES) && npm ci --no-audit --no-fund --loglevel=error

# The client package's own dependencies (@google/genai), which the page's bundle and
# every recipe resolve through their link to it.
$(CLIENT)/node_modules/.package-lock.json: $(CLIENT)/package-lock.json | npm-available
	cd $(CLIENT) && npm ci --no-audit --no-fund --loglevel=error

$(WEB)/node_modules/.package-lock.json: $(WEB)/package-lock.json | npm-available
	cd $(WEB) && npm ci --no-audit --no-fund --loglevel=error

$(E2E)/node_modules/.package-lock.json: $(E2E)/package-lock.json | npm-available
	cd $(E2E) && npm ci --no-audit --no-fund --loglevel=error

# The example installs the client package as a copy (its .npmrc): a change to it is a reinstall.
$(NODE_CLIENT)/node_modules/.package-lock.json: $(NODE_CLIENT)/package-lock.json $(CLIENT)/package.json $(wildcard $(CLIENT)/src/*.js) | npm-available
	cd $(NODE_CLIENT) && npm ci --no-audit --no-fund --loglevel=error

.PHONY: chromium-available npm-available
chromium-available:
	@test -x $(CHROMIUM) || [ "$(CHROMIUM)" != /usr/bin/chromium ] || [ "$$(id -u)" != 0 ] || \
	  { echo "Installing Debian's Chromium for the end-to-end test"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@test -x $(CHROMIUM) || { \
	  echo "make e2e drives Debian's Chromium at $(CHROMIUM), which is not installed."; \
	  echo "Install it with:  sudo apt-get install -y chromium   (or set CHROMIUM=/path/to/chromium)"; \
	  exit 1; }

npm-available:
	@command -v npm >/dev/null || { \
	  echo "Node.js 20+ and npm are needed for the example page: sudo apt-get install -y nodejs npm"; \
	  exit 1; }
