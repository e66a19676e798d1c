#!/usr/bin/env bash
# The whole suite on SQLite, then on PostgreSQL when one is reachable
# (TEST_DATABASE_URL, or the local server when CI is set).
set -euo pipefail
BIN=.venv/bin

echo "== lint (ruff check, ruff format --check)"
$BIN/ruff check .
$BIN/ruff format --check . >/dev/null

echo "== types (mypy; strict on crypto, consent, audit, referrals)"
$BIN/mypy core accounts agencies audit crypto clients consent referrals reports webhooks api console referral_hub

echo "== migrations are in sync"
$BIN/python manage.py makemigrations --check --dry-run >/dev/null

# The console's browser tests need Debian's Chromium, and its receipt test reads the PDF with
# poppler's pdftotext; install what is missing when root.
if [[ (! -x /usr/bin/chromium || ! -x /usr/bin/pdftotext) && "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
  echo "== installing chromium, chromium-driver and poppler-utils for the console's tests"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    chromium chromium-driver fonts-noto-core poppler-utils >/dev/null) \
    || echo "could not install chromium/poppler: the browser tests will say they were skipped"
fi

pg_url="${TEST_DATABASE_URL:-}"
if [[ -z "$pg_url" && -n "${CI:-}" ]]; then
  pg_url="postgres://postgres@127.0.0.1:5432/referral_hub"
fi
if [[ -z "$pg_url" ]]; then
  if $BIN/python scripts/pg_reachable.py "postgres://postgres@127.0.0.1:5432/referral_hub" 2>/dev/null; then
    pg_url="postgres://postgres@127.0.0.1:5432/referral_hub"
  fi
fi

if [[ -n "$pg_url" ]] && ! $BIN/python scripts/pg_reachable.py "$pg_url"; then
  echo "PostgreSQL at the configured URL is not reachable" >&2
  exit 1
fi

# The browser tests run in one pass only: the PostgreSQL one when it runs, else SQLite.
if [[ -z "$pg_url" ]]; then
  echo "== tests on SQLite"
  env -u DATABASE_URL $BIN/pytest "$@"
  echo "== PostgreSQL not reachable: skipped the PostgreSQL run (set TEST_DATABASE_URL to include it)"
  exit 0
fi
if [[ "${TEST_SERIAL:-}" == 1 ]]; then
  echo "== tests on SQLite"
  env -u DATABASE_URL RH_BROWSER_TESTS=0 $BIN/pytest "$@"
  echo "== tests on PostgreSQL"
  DATABASE_URL="$pg_url" $BIN/pytest "$@"
  exit 0
fi

# Two cores, two passes: SQLite runs beside PostgreSQL (its output follows when both are done).
# TEST_SERIAL=1 runs them one after the other.
echo "== tests on SQLite and on PostgreSQL, side by side (SQLite's output follows)"
sqlite_log=$(mktemp)
trap 'rm -f "$sqlite_log"' EXIT
env -u DATABASE_URL RH_BROWSER_TESTS=0 $BIN/pytest "$@" >"$sqlite_log" 2>&1 &
sqlite_pid=$!
echo "== tests on PostgreSQL"
pg_rc=0
DATABASE_URL="$pg_url" $BIN/pytest "$@" || pg_rc=$?
sqlite_rc=0
wait "$sqlite_pid" || sqlite_rc=$?
echo "== tests on SQLite"
cat "$sqlite_log"
if (( pg_rc != 0 || sqlite_rc != 0 )); then
  echo "FAILED: PostgreSQL pass exit $pg_rc, SQLite pass exit $sqlite_rc" >&2
  exit 1
fi
