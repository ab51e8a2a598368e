# The two commands of the README. Each one sets up everything it needs on a fresh machine:
# a virtual environment in .venv with this package (editable) and its pinned dependency ranges.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test setup clean-reports bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

## The main job: the calibrated pilot scenario, all seven pilot LAs, into reports/pilot-2025/
run: $(STAMP)
	$(BIN)/cme-eval run pilot-2025 --out reports/pilot-2025

## The whole test suite: unit, integration and the committed notebooks under nbval
test: $(STAMP)
	$(BIN)/python -m pytest --nbval tests notebooks

## Speed and memory figures (printed, never asserted)
bench: $(STAMP)
	$(BIN)/python scripts/bench_generate.py pilot-2025

clean-reports:
	rm -rf reports/*/
