# The two quick-start commands of the README: `make demo` and `make test`.
# Both create their own virtual environment from the repo's pinned requirements.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup demo test lint typecheck unit clean bench-deps

setup: $(STAMP)

$(STAMP): requirements.txt requirements-bqemulator.txt pyproject.toml $(wildcard package.json package-lock.json)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	# The BigQuery emulator for the BigQuery dialect's tests, in its own venv (see requirements-bqemulator.txt).
	test -x $(VENV)/bqemulator/bin/python || $(PYTHON) -m venv $(VENV)/bqemulator
	$(VENV)/bqemulator/bin/pip install --quiet -r requirements-bqemulator.txt
	if [ -f package.json ]; then npm ci --no-audit --no-fund --loglevel=error; fi
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/eventyard demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -n 2 --dist loadgroup

test: lint typecheck unit

# The load generator of `eventyard bench collector` (Debian's wrk); installs nothing if present.
bench-deps:
	command -v wrk >/dev/null 2>&1 || { SUDO=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq wrk; }

clean:
	rm -rf $(VENV) .eventyard node_modules
