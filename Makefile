# The two commands: `make run` brings up the local stack, `make test` runs the suite.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)

.PHONY: run test test-quick lint setup clean chromium postgres bench schemas

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found; set PYTHON=python3.11 or newer" >&2; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

setup: $(STAMP)

# The browser tests drive Debian's chromium (never a downloaded browser build).
chromium:
	@test -x /usr/bin/chromium || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The store's tests start their own PostgreSQL 15 server from Debian's package.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  echo "installing Debian's postgresql-15 for the store tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null; }

run: $(STAMP)
	$(PY) -m tools.devstack

# pytest exits 5 when it collected nothing: that is a failure, never a pass.
test: $(STAMP) chromium postgres
	$(PY) -m pytest; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected" >&2; exit 1; fi; exit $$rc

# Skips the long tests (browser, faults, fuzzing, 500 cases, a case across runs).
test-quick: $(STAMP) postgres
	$(PY) -m pytest -m "not slow"

# A benchmark, not a test: writes bench/RESULTS.md (BENCH_CASES, BENCH_OPEN shrink it).
bench: $(STAMP)
	$(PY) -m bench.run

# The JSON Schemas in docs/schemas/ and the decision table of docs/contract.md, from the models.
schemas: $(STAMP)
	$(PY) -m tools.schemas

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache test-artifacts
