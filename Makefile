# regionlib: the commands of the README, and a few helpers.
#   make demo       install into .venv, download the data, write the demo maps and tables
#   make test-all   install into .venv (with test tools and Chromium), run every test and
#                   notebook (what CI runs)
#   make test       the same without the tests marked slow and the notebooks (under 8 minutes
#                   on two cores): the check to run while changing the code
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
OUT ?= regionlib-demo
PYTEST_ARGS ?=

.PHONY: demo test test-all install install-test browser lint bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[notebooks]"

install-test: $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[notebooks,test,bench]"

# Debian's Chromium (and a CJK font for readable screenshots) for the offline-map browser tests.
browser:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	else echo "chromium not found: install it (sudo apt-get install chromium) or the browser tests are skipped"; fi

demo: install
	$(BIN)/regionlib demo -o $(OUT)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

PYTEST := $(BIN)/python -m pytest -n 2 --dist loadfile

test: install-test browser lint
	$(PYTEST) -m "not slow" tests $(PYTEST_ARGS)

test-all: install-test browser lint
	$(PYTEST) tests --nbmake notebooks $(PYTEST_ARGS)

bench: install-test
	for f in benchmarks/bench_*.py; do $(BIN)/python $$f || exit 1; done
