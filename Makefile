# Two entry points for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install demo test test-slow test-pandas2 lint docs figures bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev,docs,spark,fast]"
	touch $(STAMP)

install: $(STAMP)

# Profile the sample reference, compare the sample current batch, write every report kind.
demo: $(STAMP)
	mkdir -p $(VENV)/demo
	$(VENV)/bin/kl-drift profile sample_data/reference.parquet -o $(VENV)/demo/profile.json --exclude order_id,order_time
	$(VENV)/bin/kl-drift compare --reference $(VENV)/demo/profile.json sample_data/current.csv --json $(VENV)/demo/report.json --markdown $(VENV)/demo/report.md --html $(VENV)/demo/report.html --history $(VENV)/demo/drift.sqlite --fail-on never
	$(VENV)/bin/kl-drift history $(VENV)/demo/drift.sqlite --html $(VENV)/demo/trend.html
	@echo "open $(VENV)/demo/report.html"

# The normal suite: slow grids deselected (they run in `make test-slow`); the slowest tests
# are printed so growth is seen. Two processes, each taking whole files (module fixtures such
# as a Spark session or a database stay in one process): 565 s instead of 854 s on the
# 2-core development machine.
test: $(STAMP)
	$(PY) -m pytest -q -m "not slow" -n 2 --dist loadfile --durations=15
	$(MAKE) lint
	$(MAKE) docs

lint: $(STAMP)
	$(VENV)/bin/ruff check kl_drift tests benchmarks sample_data docs

test-slow: $(STAMP)
	$(PY) -m pytest -q -m slow

# The core and pandas layer on the oldest supported pandas (many GE and Spark users pin 2.x).
PANDAS2_VENV ?= .venv-pandas2
test-pandas2:
	$(PYTHON) -m venv $(PANDAS2_VENV)
	$(PANDAS2_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(PANDAS2_VENV)/bin/python -m pip install --quiet "pandas==2.2.3" "numpy<2.3" -e ".[dev]"
	$(PANDAS2_VENV)/bin/python -m pytest -q -p no:cacheprovider -n 2 --dist loadfile tests/unit tests/property kl_drift/_core kl_drift/compare.py kl_drift/profile.py kl_drift/report.py kl_drift/accessor.py

docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet --site-dir $(VENV)/site

# Redraw the figures of docs/thresholds.md (needs the `plots` extra).
figures: $(STAMP)
	$(PY) -m pip install --quiet -e ".[plots]"
	$(PY) docs/make_threshold_plots.py

bench: $(STAMP)
	$(PY) benchmarks/bench.py

clean:
	rm -rf $(VENV) $(PANDAS2_VENV) .pytest_cache .hypothesis
