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

# The PDF opposition pack embeds a Chinese TrueType font: Debian's fonts-wqy-microhei (Apache-2.0/GPLv3).
# Installed here when running as root on Debian; otherwise say how (the rest works without it).
if [ ! -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] && ! fc-list :lang=zh 2>/dev/null | grep -qi -e wqy -e droid -e uming; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing fonts-wqy-microhei for PDF opposition packs" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fonts-wqy-microhei >&2 \
      || { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fonts-wqy-microhei >&2; } \
      || echo "setup: could not install fonts-wqy-microhei; PDF opposition packs need a Chinese font" >&2
  else
    echo "setup: no Chinese TrueType font; PDF opposition packs need one: apt-get install fonts-wqy-microhei (or set pdf_font)" >&2
  fi
fi
