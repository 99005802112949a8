#!/usr/bin/env bash
# Services for the service tests: PostgreSQL on 127.0.0.1, Debian's Chromium (for playwright), a
# Chinese font (fonts-wqy-microhei) for the PDF opposition pack and the image tests' drawn marks, and the
# libraries OpenCV loads (libgl1, libglib2.0-0) for the OCR of the images extra.
#
#   eval "$(bash scripts/ci_services.sh)"
#
# Idempotent and non-interactive (CI=true, no input). Run as root: it installs the Debian packages
# postgresql, chromium and fonts-wqy-microhei (a CJK font; any font fontconfig lists for zh will do)
# when they are missing (apt-get update once, only then), makes its own
# cluster with initdb in $MARKWATCH_PG_DIR (default /var/tmp/markwatch-pg) owned by the postgres user,
# listening on 127.0.0.1:$MARKWATCH_PG_PORT (default 54329) only, and creates a role and a database.
# Also puts the test packages (playwright, aiosmtpd, psycopg) into .venv when one exists and lacks them;
# no browser is downloaded: the tests drive /usr/bin/chromium.
# Everything is logged to stderr; stdout carries only the export line for the caller to eval.
set -euo pipefail

PG_DIR="${MARKWATCH_PG_DIR:-/var/tmp/markwatch-pg}"
PG_PORT="${MARKWATCH_PG_PORT:-54329}"
PG_USER="${MARKWATCH_PG_USER:-markwatch}"
PG_PASSWORD="${MARKWATCH_PG_PASSWORD:-markwatch}"
PG_DB="${MARKWATCH_PG_DB:-markwatch_test}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

log() { echo "ci_services: $*" >&2; }

# ---------------------------------------------------------------- Debian packages
missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)
# a Chinese TrueType font: the page's glyphs, the opposition pack's PDF (reportlab embeds TrueType outlines
# only) and the image tests' drawn marks
command -v fc-list >/dev/null 2>&1 || missing+=(fontconfig)
[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing+=(fonts-wqy-microhei)
# OpenCV (needed by rapidocr, the images extra's OCR) loads these at import
ldconfig -p | grep 'libGL\.so\.1' >/dev/null || missing+=(libgl1)
ldconfig -p | grep 'libglib-2\.0\.so\.0' >/dev/null || missing+=(libglib2.0-0)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    log "missing ${missing[*]} and not root: install them with apt-get (as root) first"
    exit 1
  fi
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# ---------------------------------------------------------------- Python test packages
if [ -x "$ROOT/.venv/bin/python" ]; then
  if ! "$ROOT/.venv/bin/python" -c "import playwright, aiosmtpd, psycopg" >/dev/null 2>&1; then
    log "installing the test packages into .venv"
    "$ROOT/.venv/bin/python" -m pip install -q 'playwright>=1.40' 'aiosmtpd>=1.4' 'psycopg[binary]>=3.1' >&2
  fi
fi

# ---------------------------------------------------------------- PostgreSQL cluster
BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
if [ "$(id -u)" -eq 0 ]; then
  as_pg() { runuser -u postgres -- "$@"; }
  PG_OS_USER=postgres
else
  as_pg() { "$@"; }
  PG_OS_USER="$(id -un)"
fi

if ! "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; then
  mkdir -p "$PG_DIR"
  chown "$PG_OS_USER" "$PG_DIR"
  chmod 700 "$PG_DIR"
  init_cluster() {
    log "initdb in $PG_DIR/data"
    as_pg "$BIN/initdb" -D "$PG_DIR/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
      -E UTF8 --locale=C.UTF-8 >&2
  }
  start_cluster() {
    # tests make many short connections; fsync off: this cluster only ever holds throw-away test data
    as_pg "$BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 start \
      -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" >&2
  }
  [ -f "$PG_DIR/data/PG_VERSION" ] || init_cluster
  log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
  if ! start_cluster; then
    # a cluster left behind by a killed session may not start again: its data is throw-away, start afresh
    log "the existing cluster did not start; making a fresh one"
    rm -rf "$PG_DIR/data"
    init_cluster
    start_cluster
  fi
fi

psql_pg() { as_pg "$BIN/psql" -h "$PG_DIR" -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qAt "$@"; }
if [ "$(psql_pg -d postgres -c "select 1 from pg_roles where rolname = '$PG_USER'")" != "1" ]; then
  log "creating role $PG_USER"
  psql_pg -d postgres -c "create role \"$PG_USER\" login password '$PG_PASSWORD'" >&2
fi
if [ "$(psql_pg -d postgres -c "select 1 from pg_database where datname = '$PG_DB'")" != "1" ]; then
  log "creating database $PG_DB"
  psql_pg -d postgres -c "create database \"$PG_DB\" owner \"$PG_USER\" encoding 'UTF8' template template0" >&2
fi

URL="postgresql+psycopg://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DB"
log "ready: $URL (chromium: $(/usr/bin/chromium --version 2>/dev/null || echo missing);" \
    "CJK font: $(fc-list :lang=zh family 2>/dev/null | head -n 1 || true))"
echo "export MARKWATCH_TEST_POSTGRES_URL='$URL'"
