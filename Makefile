# The two set-up commands of the README: `make demo` runs the platform, `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip --disable-pip-version-check -q
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test lint install install-dev lock clean i18n-extract bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip setuptools wheel

# Runtime install: the locked versions, then the project itself (editable).
install: $(BIN)/python
	$(PIP) install -c requirements.lock -e .

# Development install: runtime plus the dev extra (pytest, ruff, mypy, playwright...).
install-dev: $(BIN)/python
	$(PIP) install -c requirements.lock -e '.[dev]'

demo: install
	$(BIN)/smartcity demo --host $(HOST) --port $(PORT)

test: install-dev
	$(BIN)/pytest

lint: install-dev
	$(BIN)/ruff check src tests bench tools
	$(BIN)/ruff format --check src tests bench tools
	$(BIN)/mypy
	PYTHONPATH=. $(BIN)/lint-imports

# Every benchmark beside its reference measured in the same run (PostgreSQL and Mosquitto needed;
# not part of `make test`). BENCH_ARGS="--only http" runs one; see bench/run.py.
bench: install-dev
	PYTHONPATH=src $(BIN)/python bench/run.py $(BENCH_ARGS)

# Re-pin every dependency after changing pyproject.toml.
lock: install-dev
	$(BIN)/pip freeze --exclude-editable | grep -v '^-e' > requirements.lock

i18n-extract: install-dev
	$(BIN)/pybabel extract -F babel.cfg -o var/messages.pot src/smartcity

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
