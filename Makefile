# Two commands do everything on a fresh machine:
#   make run    execute the notebooks with papermill into runs/<time>-<name>/ with a report
#   make test   the whole test suite (lint, unit tests, notebooks, command line, browser)
# Both create .venv on first use, with exactly the versions of requirements.lock (the ones the
# tests passed with), and reuse it afterwards (again after requirements.lock or pyproject.toml
# changes).
#   make lab    JupyterLab on the course: notebooks/ (complete) and exercises/ (to fill in)
#               (LAB_ARGS="--no-browser --port 8889" to pass options)
#   make exercises   regenerate the student edition exercises/ from notebooks/
#   make site   the course as a static website in site/, readable offline (mkdocs.yml)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# every package and version of the tested environment, made from pyproject.toml by uv (its header
# has the command); pyproject.toml keeps the ranges for installs into other environments
LOCK := requirements.lock
PROFILE ?= full
RUN_ARGS ?=
PYTEST_ARGS ?=
# make test's pytest-xdist workers: one more than the 2 cores of the development machine, so
# that while one waits on a kernel, a browser or a process starting, the others work; each
# gets its share of the cores (tests/conftest.py: one torch thread each here)
TEST_WORKERS ?= 3
# nbval runs the notebooks in the same session, in the smoke profile (tests/conftest.py), and
# compares the outputs of the cells it checks with the committed ones: 01-06; 07 and 08 (half of
# the smoke profile's CPU) run once, in the collection run, where tests/test_notebooks.py
# compares their checked cells
NBVAL := --nbval-lax --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg
BENCH_ARGS ?=
LAB_ARGS ?=
# JupyterHub's proxy for `cifar-tutorial hub` and tests/test_hub.py, exactly as package-lock.json
# pins it (skipped where npm is missing: those tests then skip)
HUB_PROXY := $(if $(shell command -v npm),node_modules/.bin/configurable-http-proxy)
LINTED := $(wildcard conftest.py cifar_tutorial tests benchmarks scripts notebooks exercises)

.PHONY: run test lint lab bench notebooks exercises site clean-venv

$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

node_modules/.bin/configurable-http-proxy: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

run: $(STAMP)
	$(BIN)/cifar-tutorial run --profile $(PROFILE) $(RUN_ARGS)

test: $(STAMP) $(HUB_PROXY) lint
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup $(NBVAL) $(PYTEST_ARGS) \
	  tests notebooks/0[1-6]_*.ipynb

lint: $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/lint-imports --no-cache  # the layers and contracts of .importlinter

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=. $(LAB_ARGS)

bench: $(STAMP)
	$(BIN)/python -m benchmarks.seed_vs_collection $(BENCH_ARGS)

notebooks: $(STAMP)
	$(BIN)/python scripts/execute_notebooks.py

exercises: $(STAMP)
	$(BIN)/cifar-tutorial exercises

site: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet
	@echo "The course website is in site/ ($$(du -sh site | cut -f1)): open site/index.html"

clean-venv:
	rm -rf $(VENV)
