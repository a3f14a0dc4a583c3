# Two commands for a fresh machine (Python 3.11+):
#   make quickstart   install everything into .venv, then run the whole recipe on the built-in default
#   make test         install everything into .venv, then run the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

$(BIN)/clinical-r1: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	touch $@

install: $(BIN)/clinical-r1

quickstart: install
	$(BIN)/clinical-r1 run configs/quickstart.yaml

test: install
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check src tests benchmarks

.PHONY: install quickstart test lint
