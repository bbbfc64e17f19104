# The README's two commands: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi

.PHONY: run test install install-dev lint format migrate demo bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt

install-dev: $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt

migrate: install
	$(BIN)/flask db upgrade

demo: migrate
	$(BIN)/flask demo --if-empty

# `make run` is for trying Rollcall on this machine: development defaults (the simulated payment
# gateway is offered, so the demo's paid tickets can be bought end to end). gunicorn started on its
# own (the Procfile's web line) keeps production defaults. ROLLCALL_ENV set outside wins.
run demo migrate: export ROLLCALL_ENV ?= development

## run: install, create or upgrade the database, then start the web server and the task worker
run: demo
	@echo
	@echo "  Rollcall is starting on http://127.0.0.1:5000"
	@echo "  Demo login: demo@example.org / rollcall-demo"
	@echo
	$(BIN)/honcho start -f Procfile

## test: install the test dependencies and run the whole suite (lint included)
test: install-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n auto -p no:cacheprovider $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports

format: install-dev
	$(BIN)/ruff format .

bench: install-dev
	$(BIN)/python -m bench.all
