# Bandmate: the two commands are `make run` and `make test`. Each installs what is missing first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_WORKERS ?= 2

.PHONY: help install run test lint typecheck unit format bench models clean

help:
	@echo "make run    install what is missing, then start the studio at http://127.0.0.1:8000"
	@echo "make test   install what is missing, then lint, type-check and run every test"
	@echo "make models rebuild the AI bandmate's data and retrain its models"
	@echo "make bench  run the benchmarks in bench/ (installs the peers: FluidSynth, matchering)"

# The virtual environment, rebuilt whenever the pinned dependencies change.
$(STAMP): pyproject.toml setup.py src/bandmate/render/_voices.c src/bandmate/master/_kweight.c src/bandmate/master/_gains.c src/bandmate/master/_peaks.c src/bandmate/master/_buffers.h requirements.lock scripts/install.sh scripts/install-browser.sh web/package-lock.json
	PYTHON="$(PYTHON)" VENV="$(VENV)" bash scripts/install.sh
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/bandmate serve

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

# Two runs: Playwright's sync API keeps an event loop running in its worker, which the
# asyncio tests of the server cannot share.
unit: install
	$(BIN)/pytest -n $(PYTEST_WORKERS) -p no:cacheprovider --ignore=tests/browser
	$(BIN)/pytest -n $(PYTEST_WORKERS) -p no:cacheprovider tests/browser

test: lint typecheck unit

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	bash scripts/install-bench.sh
	bash scripts/install-bench-master.sh
	bash scripts/install-bench-sync.sh
	$(BIN)/python bench/midi_io.py
	$(BIN)/python bench/render.py
	$(BIN)/python bench/master.py
	$(BIN)/python bench/assist.py
	$(BIN)/python bench/sync_fanout.py --quick

# Rebuild the AI bandmate's training data from music21's corpus and retrain every model
# (about 5 minutes on 2 cores). The weights in src/bandmate/assist/weights are what ships.
models: install
	$(BIN)/python scripts/assist_data.py
	$(BIN)/python scripts/train_chords.py
	$(BIN)/python scripts/train_harmonizer.py
	$(BIN)/python scripts/melody_data.py
	$(BIN)/python scripts/train_melody.py
	$(BIN)/python scripts/voices_data.py
	$(BIN)/python scripts/train_voices.py
	$(BIN)/python scripts/leadsheets_data.py
	$(BIN)/python scripts/eval_leadsheets.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis build dist
