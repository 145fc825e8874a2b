# regionlib: the commands of the README, and a few helpers.
#   make demo       install into .venv, download the data, write the demo maps and tables
#   make test-all   install into .venv (with test tools and Chromium), build the documentation
#                   site, run every test and notebook (what CI runs)
#   make test       the tests without those marked slow and the notebooks (under 8 minutes on
#                   two cores): the check to run while changing the code
#   make docs       the documentation site into docs/_build/html (offline; warnings are errors)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
OUT ?= regionlib-demo
PYTEST_ARGS ?=

.PHONY: demo test test-all install install-test browser lint bench docs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[notebooks]"

install-test: $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[notebooks,test,bench,docs]"

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

# The site: run every command the guide shows (pictures from the real data), build with warnings
# as errors and nitpicky references, then check that nothing loads from the network and every
# internal link resolves; prints the site's size.
DOCS_OUT := docs/_build/html
docs: install-test browser
	rm -rf $(DOCS_OUT) docs/_build/doctrees
	$(BIN)/python docs/_tools/run_examples.py
	$(BIN)/python -m sphinx -b html -W --keep-going -n -q -d docs/_build/doctrees docs $(DOCS_OUT)
	$(BIN)/python docs/_tools/check_site.py $(DOCS_OUT)

PYTEST := $(BIN)/python -m pytest -n 2 --dist loadfile

test: install-test browser lint
	$(PYTEST) -m "not slow" tests $(PYTEST_ARGS)

test-all: install-test browser lint docs
	$(PYTEST) tests --nbmake notebooks $(PYTEST_ARGS)

bench: install-test
	for f in benchmarks/bench_*.py; do $(BIN)/python $$f || exit 1; done
