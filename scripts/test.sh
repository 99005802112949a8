#!/usr/bin/env bash
# Set up everything the tests need (Python packages, PostgreSQL and Chromium from Debian) and run them all.
set -euo pipefail
cd "$(dirname "$0")/.."
MARKWATCH_EXTRAS=test,dask bash scripts/setup.sh
if [ -f scripts/ci_services.sh ]; then
  eval "$(bash scripts/ci_services.sh)"
fi
.venv/bin/python -m pytest -q "$@"
