# The two commands of the README: `make demo` and `make test`. Both create .venv and install
# what they need, so they work on a fresh machine with Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: demo demo-scale fault-drill test lint bench install install-test clean chromium wordnet

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed wordnet
install-test: $(VENV)/.installed-test wordnet

# The understand stage reads words its encoder does not know ("whodunit") in WordNet, from Debian's
# wordnet-base (/usr/share/wordnet); as root on a fresh Debian machine this installs it, elsewhere
# such words stay unread, with a note.
wordnet:
	@[ -f "$${TASTEMAKER_WORDNET:-/usr/share/wordnet}/index.noun" ] || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq --no-install-recommends wordnet-base; } || echo "note: no WordNet; words the encoder does not know stay unread"

demo: install
	$(BIN)/tastemaker demo --port $(PORT)

# Several worker processes on PostgreSQL with Redis (README: "Scale-out"); WORKERS=3 by default.
demo-scale: install
	$(BIN)/python scripts/demo_scale.py --workers $(or $(WORKERS),3) --port $(PORT)

# Stops and restarts PostgreSQL under load (README: "Faults"); needs pg_ctlcluster rights.
fault-drill: install
	$(BIN)/python scripts/fault_drill.py


# The browser tests drive Debian's chromium (never Playwright's download); as root on a fresh
# Debian machine this installs it, elsewhere they skip with a note.
chromium:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq chromium; } || echo "note: no chromium; the browser tests will skip"

test: install-test chromium
	$(BIN)/pytest -q

lint: install-test
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/mypy

bench: install
	$(BIN)/python benchmarks/latency.py
	$(BIN)/python benchmarks/ingest.py

clean:
	rm -rf $(VENV) .tastemaker .pytest_cache .mypy_cache .ruff_cache
