#!/usr/bin/env bash
# Set up and run the whole job on the shipped sample data (SQLite in var/, exports in exports/).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export MARKWATCH_DATABASE_URL=${MARKWATCH_DATABASE_URL:-sqlite:///var/demo.db}
mkdir -p var
exec .venv/bin/markwatch demo "$@"
