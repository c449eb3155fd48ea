# The two quick-start commands of the README: `make demo` and `make test`.
# Both create their own virtual environment from the repo's pinned requirements.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PLUGINS := build/browser/.built
# The collector's intake, compiled with mypyc next to its sources (setup.py, collector/compiled.py);
# rebuilt when a source changes. The digest file is written only when compiling worked.
INTAKE_DIR := include/eventyard/collector
INTAKE_SOURCES := $(addprefix $(INTAKE_DIR)/,timestamps.py validate.py enrich.py intake.py)
INTAKE := $(INTAKE_DIR)/_compiled_sources.sha256

.PHONY: setup demo test lint typecheck unit clean bench-deps chromium

setup: $(STAMP) $(INTAKE) $(PLUGINS) chromium

$(STAMP): requirements.txt requirements-build.txt requirements-dev.txt requirements-bqemulator.txt pyproject.toml $(wildcard package.json package-lock.json)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# Runtime pins (what the image installs) plus the tools and test-only packages.
	$(BIN)/pip install --quiet -r requirements-dev.txt
	# Editable, sources in place; the intake is compiled by the next target (once, not here as well).
	EVENTYARD_PURE_PYTHON=1 $(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	# The BigQuery emulator for the BigQuery dialect's tests, in its own venv (see requirements-bqemulator.txt).
	test -x $(VENV)/bqemulator/bin/python || $(PYTHON) -m venv $(VENV)/bqemulator
	$(VENV)/bqemulator/bin/pip install --quiet -r requirements-bqemulator.txt
	if [ -f package.json ]; then npm ci --no-audit --no-fund --loglevel=error; fi
	touch $(STAMP)

$(INTAKE): $(STAMP) setup.py $(INTAKE_SOURCES) $(INTAKE_DIR)/compiled.py
	$(BIN)/python setup.py --quiet build_ext --inplace

# Our device-mode browser plugins (browser/plugins/*.js -> build/browser/, esbuild from package.json).
$(PLUGINS): $(STAMP) browser/build.mjs $(wildcard browser/*.js browser/lib/*.js browser/plugins/*.js)
	npm run --silent build
	touch $(PLUGINS)

# Debian's Chromium, which the device-mode tests drive through Playwright (executable_path);
# installs nothing when it is there already.
chromium:
	test -x /usr/bin/chromium || { SUDO=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium; }

demo: $(STAMP) $(INTAKE) $(PLUGINS)
	$(BIN)/eventyard demo

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: setup
	$(BIN)/pytest -n 2 --dist loadgroup

test: lint typecheck unit

# The load generators of `eventyard bench collector`: Debian's wrk for the closed-loop scenarios and a
# C compiler for our open-loop generator (collector/bench/openloop.c, built on first use); installs
# nothing if both are present.
bench-deps:
	{ command -v wrk && command -v cc; } >/dev/null 2>&1 || { SUDO=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq wrk gcc libc6-dev; }

clean:
	rm -rf $(VENV) .eventyard node_modules build $(INTAKE) include/eventyard_intake__mypyc.*.so \
		$(foreach f,$(INTAKE_SOURCES),$(f:.py=).*.so)
