# The two promises of the README: `make run` and `make test`, from a fresh clone.

PYTHON ?= python3.11
VENV   ?= .venv
PY     := $(VENV)/bin/python
BIN    := $(VENV)/bin

WEB_PORT     ?= 8000
SANDBOX_PORT ?= 8765
REDIS_URL    ?= redis://127.0.0.1:6379/0
export WEB_PORT SANDBOX_PORT REDIS_URL

# `make test` runs against PostgreSQL, a Redis database of its own, an S3 server on
# loopback and a sandbox on its own port, so it never touches what `make run` uses.
TEST_ENV := \
	DATABASE_URL=$${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/recraft_studio} \
	REDIS_URL=$${TEST_REDIS_URL:-redis://127.0.0.1:6379/9} \
	CELERY_QUEUE=studio-test \
	S3_BUCKET=studio-test \
	S3_ENDPOINT_URL=http://127.0.0.1:$${TEST_S3_PORT:-9100} \
	S3_ACCESS_KEY_ID=test S3_SECRET_ACCESS_KEY=test S3_REGION=us-east-1 \
	SANDBOX_PORT=$${TEST_SANDBOX_PORT:-8799} \
	RECRAFT_API_TOKEN= RECRAFT_API_BASE=

.PHONY: help install run test test-fast lint format bench clean

help:
	@echo "make run    start the studio (web, worker, beat, sandbox) with a demo login"
	@echo "make test   run every test (starts the S3 server and installs Chromium if needed)"
	@echo "make lint   ruff"

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $@

.env:
	$(PYTHON) scripts/make_env.py || python3 scripts/make_env.py

install: $(VENV)/.installed .env

# scripts/run.py starts a private redis-server for the session when nothing answers
# at REDIS_URL, then migrates, makes the demo login and starts Procfile.dev.
run: install
	$(PY) scripts/run.py

test: install
	$(TEST_ENV) $(PY) scripts/test_services.py
	$(TEST_ENV) $(BIN)/pytest $(PYTEST_ARGS)

test-fast: install
	$(TEST_ENV) $(BIN)/pytest -m "not browser" $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(TEST_ENV) $(PY) scripts/test_services.py
	$(TEST_ENV) $(PY) tests/bench/run_all.py

clean:
	-test -x $(PY) && $(PY) scripts/test_services.py --stop-s3
	rm -rf $(VENV) var .pytest_cache
