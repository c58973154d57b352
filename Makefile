# Wheelhouse: `make run` sets everything up and starts the app; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8501
# Host names the dashboard answers to, space-separated (default: .streamlit/config.toml's localhost names). Add
# the name a remote browser uses when HOST is not 127.0.0.1, e.g. ALLOWED_HOSTS="localhost wheelhouse.lan".
ALLOWED_HOSTS ?=

.DEFAULT_GOAL := help
.PHONY: help venv dev-venv system-deps test-system-deps migrate run dashboard test test-fast lint format bench clean

# Debian packages the project needs: bubblewrap and libseccomp2 (the scanner sandbox: namespaces, and the seccomp
# allow-lists through PyPI pyseccomp) for everything; strace (re-deriving those lists) and chromium (the browser
# test) for the tests. Installed with apt-get when missing and we are root; otherwise we say what is missing.
RUN_APT := bubblewrap libseccomp2
TEST_APT := bubblewrap libseccomp2 strace chromium

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-17s %s\n", $$1, $$2}'

$(VENV)/.runtime: requirements.txt
	@echo "==> creating $(VENV) and installing requirements.txt"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	@echo "==> installing requirements-dev.txt"
	@$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

define apt_install
	@missing=""; for pkg in $(1); do dpkg -s $$pkg >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "==> installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "==> missing Debian packages:$$missing (install them as root; dependent tests skip or fail)"; fi; \
	fi
endef

system-deps: ## install the Debian packages the app needs (bubblewrap)
	$(call apt_install,$(RUN_APT))

test-system-deps:
	$(call apt_install,$(TEST_APT))

venv: $(VENV)/.runtime ## create the virtualenv with the runtime requirements

dev-venv: $(VENV)/.dev ## the virtualenv plus test and lint tools

migrate: venv system-deps ## migrate the configured database (DATABASE_URL, default SQLite) to the newest schema
	@echo "==> migrating the database"
	@$(PY) -m core db upgrade

run: migrate ## install, migrate, seed a demo if empty, create the first admin if none, start sidecar and dashboard
	@echo "==> seeding the synthetic demo (only if the database has no stocks yet)"
	@$(PY) -m core demo --if-empty
	@$(PY) -m core users bootstrap --url http://$(HOST):$(PORT)
	@echo "==> sidecar in the background, dashboard on http://$(HOST):$(PORT) (Ctrl-C stops both)"
	@$(PY) -m core.sync & SIDECAR=$$!; \
	 trap 'kill $$SIDECAR 2>/dev/null; wait $$SIDECAR 2>/dev/null' EXIT INT TERM; \
	 $(PY) -m streamlit run dashboard.py --server.address $(HOST) --server.port $(PORT) \
	   $(foreach name,$(ALLOWED_HOSTS),--server.allowedHosts $(name))

dashboard: migrate ## the dashboard alone on HOST:PORT, no sidecar (syncs queue until one runs)
	@$(PY) -m streamlit run dashboard.py --server.address $(HOST) --server.port $(PORT) \
	   $(foreach name,$(ALLOWED_HOSTS),--server.allowedHosts $(name))

test: dev-venv test-system-deps ## lint and run every test (PostgreSQL tests need 127.0.0.1:5432 or TEST_DATABASE_URL)
	@echo "==> ruff check, ruff format --check"
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@echo "==> lint-imports (the layer contracts in pyproject.toml)"
	@$(VENV)/bin/lint-imports --no-cache
	@echo "==> pytest, the in-process tests on both backends, on both cores (they start no process: a fast run refuses)"
	@$(VENV)/bin/pytest -q -n 2 -m "not slow and not browser" $(PYTEST_ARGS) || [ $$? -eq 5 ]
	@echo "==> pytest, the tests that start processes (sandbox, sidecar, dashboard, browser) one at a time: their timings stay steady"
	@$(VENV)/bin/pytest -q -m "slow or browser" $(PYTEST_ARGS) || [ $$? -eq 5 ]

test-fast: dev-venv ## the in-process tests on SQLite, both cores (no processes, PostgreSQL or browser): the edit loop
	@$(VENV)/bin/pytest -q -n 2 -m "not slow and not postgres and not browser" $(PYTEST_ARGS)

bench: dev-venv ## print the benchmark figures (minutes; needs PostgreSQL): see docs/benchmarks.md
	@for b in greeks synthetic ingest; do $(PY) bench/$$b.py || exit 1; done

lint: dev-venv ## ruff (lint and format check) and the import contracts, without the tests
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/lint-imports --no-cache

format: dev-venv ## format the code with ruff
	@$(VENV)/bin/ruff format .

clean: ## remove the virtualenv, caches and the local SQLite database
	rm -rf $(VENV) .pytest_cache .ruff_cache data/wheelhouse.db*
