"""The end-to-end test: the example page in headless Chromium (``make e2e``)."""
