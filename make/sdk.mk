# The differential test against the official JS SDK: tokenvend's auth_tokens body for
# every shipped and example policy, and for generated ones covering every schema field,
# compared field by field with what @google/genai (pinned in tests/sdk/package-lock.json)
# sends for the same config. Part of `make e2e`, so CI runs it.

SDK_DIFF := tests/sdk

.PHONY: sdk-diff clean-sdk-diff

sdk-diff: $(VENV)/.installed $(SDK_DIFF)/node_modules/.package-lock.json  ## tokenvend's request body against @google/genai's, field by field
	SDK_DIFF_REQUIRED=1 $(PY) -m pytest $(SDK_DIFF) -p no:cacheprovider

# A rule without a recipe adds a prerequisite: `make e2e` runs the SDK comparison too.
e2e: sdk-diff

$(SDK_DIFF)/node_modules/.package-lock.json: $(SDK_DIFF)/package-lock.json
	@command -v npm >/dev/null || { \
	  echo "Node.js and npm are needed for the SDK comparison: sudo apt-get install -y nodejs npm"; \
	  exit 1; }
	cd $(SDK_DIFF) && npm ci --no-audit --no-fund --loglevel=error

clean: clean-sdk-diff
clean-sdk-diff:
	rm -rf $(SDK_DIFF)/node_modules
