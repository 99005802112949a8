#!/usr/bin/env bash
# Set up everything the tests need (Python packages, PostgreSQL and Chromium from Debian) and run them all.
set -euo pipefail
cd "$(dirname "$0")/.."
MARKWATCH_EXTRAS=test,dask,images bash scripts/setup.sh
if [ -f scripts/ci_services.sh ]; then
  eval "$(bash scripts/ci_services.sh)"
fi
# Static checks first: they take seconds and name the line at fault.
.venv/bin/ruff check src tests
.venv/bin/mypy
.venv/bin/python scripts/check_imports.py
.venv/bin/python -m pytest -q "$@"
