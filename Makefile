# The two commands of the README. Each one sets up everything it needs on a fresh machine:
# a virtual environment in .venv with this package (editable) and its pinned dependency ranges.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

# The browser test (tests/browser) opens the report in headless Chromium and runs axe-core in it:
# Debian's chromium and chromium-driver (system packages, installed only when missing; as root,
# else through sudo) and axe-core from npm into .venv/node (git-ignored, never the tracked tree).
AXE    := $(VENV)/node/node_modules/axe-core/axe.min.js
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test test-fast setup browser notebooks clean-reports

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# setuptools warns that any editable install of a flat layout could be shadowed by a folder of
	# the same name; nothing to act on, so it is not shown (other install messages still are).
	PYTHONWARNINGS="ignore::UserWarning" $(BIN)/python -m pip install --quiet -e ".[dev,spark]"
	touch $(STAMP)

setup: $(STAMP)

/usr/bin/chromium /usr/bin/chromedriver:
	[ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] || { $(SUDO) apt-get update && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
	    chromium chromium-driver; }

$(AXE): | $(STAMP)
	npm install --prefix $(VENV)/node --no-audit --no-fund --loglevel=error axe-core@4

browser: /usr/bin/chromium /usr/bin/chromedriver $(AXE)

## The main job: the calibrated pilot scenario, all seven pilot LAs, into reports/pilot-2025/
run: $(STAMP)
	$(BIN)/cme-eval run pilot-2025 --out reports/pilot-2025 --force

## The whole test suite: ruff and mypy on the package first ([tool.ruff], [tool.mypy]), then unit, integration and the
## committed notebooks under nbval, two tests at a time (pytest-xdist; tests/conftest.py keeps
## each notebook's cells on one worker), the 15 slowest named at the end
test: $(STAMP) browser
	$(BIN)/ruff check cme_eval tests scripts
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest -n 2 --durations=15 --nbval --nbval-current-env tests notebooks

## A contributor's fast loop: ruff and mypy, then the unit tests in parallel (no whole runs, no browser)
test-fast: $(STAMP)
	$(BIN)/ruff check cme_eval tests scripts
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest -n 2 --durations=5 tests/unit

## Refresh the notebooks' stored outputs (the smoke defaults) after changing a stage
notebooks: $(STAMP)
	$(BIN)/python scripts/refresh_notebooks.py

clean-reports:
	rm -rf reports/*/
