# Backend Resource Console: `make run` serves the console for development, `make serve` as in
# production (gunicorn, gunicorn.conf.py), `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
AGENT_VENV ?= .venv-agent
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run serve test lint agent-venv migrate demo bench load screenshots mutants clean

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

# The suite runs in parallel (pytest-xdist; each worker has its own PostgreSQL database; an
# idle worker takes tests queued for a busy one, so that no long test is left for last).
TEST_WORKERS ?= 4
test: lint agent-venv
	CONSOLE_TEST_AGENT_VENV=$(abspath $(AGENT_VENV)) $(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal

# Mutation testing of the permission, import, query and login code ([tool.mutmut] in
# pyproject.toml), not part of `make test`: on SQLite only, stopped after MUTANTS_MINUTES.
# `.venv/bin/mutmut results` lists the survivors, `.venv/bin/mutmut show NAME` shows one.
MUTANTS_MINUTES ?= 30
mutants: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test,mutants]'
	rm -rf mutants
	env -u CONSOLE_TEST_DATABASE_URL -u CONSOLE_TEST_BROKER_URL \
	  -u CONSOLE_TEST_BROKER_MANAGEMENT_URL -u CI \
	  timeout $$(( $(MUTANTS_MINUTES) * 60 )) $(BIN)/mutmut run --max-children 2; \
	  status=$$?; [ $$status -eq 0 ] || [ $$status -eq 124 ] || exit $$status
	$(BIN)/mutmut export-cicd-stats && cat mutants/mutmut-cicd-stats.json && echo
	$(BIN)/mutmut results

$(VENV)/.bench-installed: pyproject.toml | $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $@

# SIZE=100000 measures one size; the default is 10,000, 100,000 and 1,000,000 reports.
bench: $(VENV)/.bench-installed
	SIZE=$(SIZE) ONLY=$(ONLY) $(BIN)/python bench/run.py

load: $(VENV)/.installed
	$(BIN)/python bench/load.py $(if $(LOAD_POSTGRESQL_URL),--postgresql-url $(LOAD_POSTGRESQL_URL))

screenshots: $(VENV)/.installed
	CONSOLE_UPDATE_SCREENSHOTS=1 $(BIN)/pytest tests/browser -k screenshot

clean:
	rm -rf $(VENV) $(AGENT_VENV) *.egg-info .pytest_cache .ruff_cache mutants
	@echo "Removed $(VENV), $(AGENT_VENV), mutants/, *.egg-info, .pytest_cache and .ruff_cache."
	@echo "Kept instance/ (the SQLite database and the secret key): delete it by hand to start afresh."
