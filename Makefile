# The two commands of the README. Each one sets up everything it needs on a fresh machine:
# a virtual environment in .venv with this package (editable) and its pinned dependency ranges.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test setup notebooks clean-reports

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# setuptools warns that any editable install of a flat layout could be shadowed by a folder of
	# the same name; nothing to act on, so it is not shown (other install messages still are).
	PYTHONWARNINGS="ignore::UserWarning" $(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

## The main job: the calibrated pilot scenario, all seven pilot LAs, into reports/pilot-2025/
run: $(STAMP)
	$(BIN)/cme-eval run pilot-2025 --out reports/pilot-2025 --force

## The whole test suite: unit, integration and the committed notebooks under nbval
test: $(STAMP)
	$(BIN)/python -m pytest --nbval --nbval-current-env tests notebooks

## Refresh the notebooks' stored outputs (the smoke defaults) after changing a stage
notebooks: $(STAMP)
	$(BIN)/python scripts/refresh_notebooks.py

clean-reports:
	rm -rf reports/*/
