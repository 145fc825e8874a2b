# regionlib: the two commands of the README, and a few helpers.
#   make demo   install into .venv, download the data, write the demo maps and tables
#   make test   install into .venv (with test tools and Chromium), run every test and notebook
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
OUT ?= regionlib-demo
PYTEST_ARGS ?=

.PHONY: demo test install install-test browser lint bench

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

test: install-test browser lint
	$(BIN)/python -m pytest -n 2 --dist loadfile tests --nbmake notebooks $(PYTEST_ARGS)

bench: install-test
	for f in benchmarks/bench_*.py; do $(BIN)/python $$f || exit 1; done
