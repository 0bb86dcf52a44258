# The two commands: `make run` brings up the local stack, `make test` runs the suite.
# Everything installs from the hash-pinned lock files in requirements/ (`make lock` renews them).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml requirements/dev.lock | sha256sum | cut -c1-12)
UV_COMPILE := $(VENV)/bin/uv pip compile pyproject.toml --universal --python-version 3.11 \
	--generate-hashes --quiet

.PHONY: run test test-loaded test-quick lint setup clean fonts chromium promtool postgres oidc lock bench schemas

$(STAMP): pyproject.toml requirements/dev.lock
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found; set PYTHON=python3.11 or newer" >&2; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements/dev.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

setup: $(STAMP) fonts

# The release package's font (records/pdf.py): Debian's DejaVu, never a downloaded one.
fonts:
	@test -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf || { \
	  echo "installing Debian's fonts-dejavu-core for release packages"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core >/dev/null; }

# Renew both locks from pyproject.toml (runtime for the image, dev for make and CI).
lock: $(STAMP)
	$(UV_COMPILE) -o requirements/runtime.lock
	$(UV_COMPILE) --extra dev -o requirements/dev.lock

# The browser tests drive Debian's chromium (never a downloaded browser build).
chromium:
	@test -x /usr/bin/chromium || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# promtool checks the Prometheus config and alert rules: the one on PATH, or the one in Debian's
# prometheus package, unpacked into the venv (the package's server is never installed or run).
promtool: $(STAMP)
	@test -x $(VENV)/bin/promtool || { \
	  if command -v promtool >/dev/null; then ln -s "$$(command -v promtool)" $(VENV)/bin/promtool; \
	  else echo "unpacking promtool from Debian's prometheus package"; \
	    tmp=$$(mktemp -d) && cd $$tmp && { apt-get download prometheus >/dev/null 2>&1 \
	      || { apt-get update -qq && apt-get download prometheus >/dev/null; }; } \
	    && dpkg -x prometheus_*.deb x && cp x/usr/bin/promtool $(CURDIR)/$(VENV)/bin/promtool \
	    && rm -rf $$tmp; fi; }

# The store's tests start their own PostgreSQL 15 server from Debian's package.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  echo "installing Debian's postgresql-15 for the store tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null; }

# The identity tests run a real OpenID Connect provider (npm's oidc-provider, pinned by
# tests/oidc/package-lock.json) on the machine's Node (20 or newer).
OIDC_STAMP := tests/oidc/node_modules/.installed-$(shell cat tests/oidc/package-lock.json | sha256sum | cut -c1-12)
$(OIDC_STAMP): tests/oidc/package.json tests/oidc/package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: the identity tests need Node 20+ and npm" >&2; exit 1; }
	npm ci --prefix tests/oidc --no-audit --no-fund --loglevel=error
	rm -f tests/oidc/node_modules/.installed-*
	touch $(OIDC_STAMP)

oidc: $(OIDC_STAMP)

run: $(STAMP) fonts
	$(PY) -m tools.devstack

# The suite runs in TEST_PROCESSES processes (pytest-xdist), a test file to a process, each with
# its own dev server, worker and sinks: most tests wait on servers, so two keep both CPUs busy.
# Files go out in the order collected (slow ones first, tests/conftest.py), not xdist's own
# (by test count, which sent the one-test 500-case file last).
# pytest exits 5 when it collected nothing: that is a failure, never a pass.
TEST_PROCESSES ?= 2
test: $(STAMP) fonts chromium promtool postgres oidc
	$(PY) -m pytest -n $(TEST_PROCESSES) --dist loadfile --no-loadscope-reorder; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "no tests collected" >&2; exit 1; fi; exit $$rc

# The suite with both CPUs busy with other work (two busy loops beside it): it must pass so.
test-loaded: $(STAMP) fonts chromium promtool postgres oidc
	$(PY) -c 'while True: pass' & b1=$$!; $(PY) -c 'while True: pass' & b2=$$!; \
	trap 'kill $$b1 $$b2' EXIT; start=$$(date +%s); $(MAKE) --no-print-directory test; rc=$$?; \
	echo "make test beside two busy loops: exit $$rc in $$(( $$(date +%s) - start )) s"; exit $$rc

# Skips the long tests (browser, faults, fuzzing, 500 cases, a case across runs).
test-quick: $(STAMP) fonts promtool postgres oidc
	$(PY) -m pytest -n $(TEST_PROCESSES) --dist loadfile --no-loadscope-reorder -m "not slow"

# A benchmark, not a test: writes bench/RESULTS.md and bench/results.json
# (BENCH_CASES, BENCH_OPEN, BENCH_LATENCY, BENCH_ROUNDS shrink it; BENCH_SQLITE=1 adds the SQLite study).
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
	rm -rf $(VENV) tests/oidc/node_modules var .pytest_cache .mypy_cache .ruff_cache test-artifacts
