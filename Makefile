# Wheelhouse: `make run` sets everything up and starts the app; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8501

.DEFAULT_GOAL := help
.PHONY: help venv dev-venv migrate run dashboard test lint format bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

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

venv: $(VENV)/.runtime ## create the virtualenv with the runtime requirements

dev-venv: $(VENV)/.dev ## the virtualenv plus test and lint tools

migrate: venv ## migrate the configured database (DATABASE_URL, default SQLite) to the newest schema
	@echo "==> migrating the database"
	@$(PY) -m core db upgrade

run: migrate ## install, migrate, and start the dashboard on http://$(HOST):$(PORT)
	@echo "==> starting the dashboard on http://$(HOST):$(PORT) (Ctrl-C stops it)"
	@$(PY) -m streamlit run dashboard.py --server.address $(HOST) --server.port $(PORT)

test: dev-venv ## lint and run every test (PostgreSQL tests need 127.0.0.1:5432 or TEST_DATABASE_URL)
	@echo "==> ruff check"
	@$(VENV)/bin/ruff check .
	@echo "==> pytest"
	@$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: dev-venv ## ruff only
	@$(VENV)/bin/ruff check .

format: dev-venv ## format the code with ruff
	@$(VENV)/bin/ruff format .

clean: ## remove the virtualenv, caches and the local SQLite database
	rm -rf $(VENV) .pytest_cache .ruff_cache data/wheelhouse.db*
