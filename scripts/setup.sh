#!/usr/bin/env bash
# Set up markwatch in ./.venv (idempotent). Needs python3 (3.10+) with venv; nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
extras=${MARKWATCH_EXTRAS:-}
stamp=.venv/.markwatch-installed${extras:+-$extras}
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  if [[ ",$extras," == *",images,"* ]] && ! .venv/bin/python -c "import torch" >/dev/null 2>&1; then
    # torch first, alone and pinned (the CPU build), so that no package after it pulls another build
    .venv/bin/python -m pip install -q torch==2.13.0
  fi
  .venv/bin/python -m pip install -q -e ".${extras:+[$extras]}"
  touch "$stamp"
fi
