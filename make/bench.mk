# Benchmarks and load test (issue 6). Scripts that print tables, never timed tests.
# The naive baseline and the chart each get a virtual environment of their own, so
# neither google-genai nor matplotlib ever lands in the product's .venv.
NAIVE_VENV := .venv-naive
BENCH_VENV := .venv-bench

.PHONY: bench load slow-bodies

$(NAIVE_VENV)/.installed: bench/naive/requirements.txt
	$(PYTHON) -m venv $(NAIVE_VENV)
	$(NAIVE_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(NAIVE_VENV)/bin/python -m pip install --quiet -r bench/naive/requirements.txt
	touch $@

$(BENCH_VENV)/.installed: bench/requirements.txt
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install --quiet -r bench/requirements.txt
	touch $@

bench: $(VENV)/.installed $(NAIVE_VENV)/.installed $(BENCH_VENV)/.installed  ## tokenvend vs the naive google-genai function: table + chart in bench/results/
	$(PY) -m bench.run $(BENCH_ARGS)

load: $(VENV)/.installed  ## 50 clients for 30 s against a real functions-framework process on 127.0.0.1
	$(PY) -m bench.load $(LOAD_ARGS)

slow-bodies: $(VENV)/.installed  ## 16 bodies trickling from an allowed origin against a real process: how long each holds it
	$(PY) -m bench.slow_bodies $(SLOW_BODIES_ARGS)

.PHONY: bench-quotas
bench-quotas: $(VENV)/.installed  ## the quota part of make bench alone: round trips, latency, flood, steady load
	$(PY) -m bench.quotas $(BENCH_QUOTA_ARGS)
