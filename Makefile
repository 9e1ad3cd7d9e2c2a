# Backend Resource Console: `make run` serves the console for development, `make serve` as in
# production (gunicorn, gunicorn.conf.py), `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
AGENT_VENV ?= .venv-agent
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run serve test lint agent-venv migrate demo bench load screenshots clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

migrate: $(VENV)/.installed
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) demo-data --if-empty

run: demo
	$(FLASK) run --host $(HOST) --port $(PORT)

# Production server: CONSOLE_DATABASE_URL names the database, CONSOLE_WORKERS the worker count.
serve: migrate
	CONSOLE_BIND=$${CONSOLE_BIND:-$(HOST):$(PORT)} $(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

lint: $(VENV)/.installed
	$(BIN)/ruff check .

# The real waldur-site-agent gets its own environment (it pins another waldur-api-client);
# rebuilt only when tests/agent/requirements.txt or the test plugin changes.
agent-venv: $(VENV)/.installed
	$(BIN)/python -m tests.agent.agent_venv $(AGENT_VENV)

test: lint agent-venv
	CONSOLE_TEST_AGENT_VENV=$(abspath $(AGENT_VENV)) $(BIN)/pytest

$(VENV)/.bench-installed: pyproject.toml | $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $@

# SIZE=100000 measures one size; the default is 10,000, 100,000 and 1,000,000 reports.
bench: $(VENV)/.bench-installed
	SIZE=$(SIZE) $(BIN)/python bench/run.py

load: $(VENV)/.installed
	$(BIN)/python bench/load.py $(if $(LOAD_POSTGRESQL_URL),--postgresql-url $(LOAD_POSTGRESQL_URL))

screenshots: $(VENV)/.installed
	CONSOLE_UPDATE_SCREENSHOTS=1 $(BIN)/pytest tests/browser -k screenshot

clean:
	rm -rf $(VENV) $(AGENT_VENV) *.egg-info .pytest_cache .ruff_cache
