# The README's two commands: `make run` tries the bot (migrate + console on a SQLite file),
# `make test` runs the linters (ruff, then import-linter's layer contracts from pyproject.toml)
# and the test suite. Both start from a fresh checkout.
# `make test-fast` is the fast lane: the pure workflow and every action on an in-memory unit of work.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

# Use the system's Python (3.11 or newer), never a downloaded one.
export UV_PYTHON_DOWNLOADS := never
PYTHON := $(shell for candidate in python3.11 python3.12 python3.13 python3; do \
	if command -v $$candidate >/dev/null 2>&1 \
	  && $$candidate -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then \
	  echo $$candidate; break; fi; done)
# uv from PATH, else the one the `uv` target installed (expanded only when a recipe runs).
UV = $(shell command -v uv 2>/dev/null || { [ -x "$$HOME/.local/bin/uv" ] && echo "$$HOME/.local/bin/uv"; } \
	|| echo "$(PYTHON) -m uv")

.PHONY: run test sync uv

run: sync
	.venv/bin/python -m bot

test: sync
	.venv/bin/ruff check .
	.venv/bin/lint-imports
	.venv/bin/python -m pytest -q

# No database, Redis or process here (tests/unit, tests/workflow): seconds, for every edit.
.PHONY: test-fast
test-fast: sync
	.venv/bin/python -m pytest -q tests/unit tests/workflow

sync: uv
	$(UV) sync --frozen --python "$(PYTHON)"

uv:
	@if [ -z "$(PYTHON)" ]; then echo "make: Python 3.11 or newer is needed on PATH" >&2; exit 1; fi
	@if ! command -v uv >/dev/null 2>&1 && [ ! -x "$$HOME/.local/bin/uv" ] \
	  && ! $(PYTHON) -m uv --version >/dev/null 2>&1; then \
	  echo "installing uv (pip install --user uv)"; \
	  $(PYTHON) -m pip install --user --quiet uv \
	  || $(PYTHON) -m pip install --user --quiet --break-system-packages uv; \
	fi
