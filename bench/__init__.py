"""Benchmarks and load tests: scripts that print tables (``make bench``, ``make load``)."""
