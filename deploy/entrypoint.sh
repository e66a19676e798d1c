#!/bin/sh
# The image's entrypoint, also run outside containers by tests/ops/test_compose_entrypoints.py.
#
#   migrate    one-shot, as the OWNER role: seed the key ring volume, migrate, then harden the
#              audit tables for APP_DB_ROLE (INSERT/SELECT only) and grant it the other tables
#   api        gunicorn (deploy/gunicorn.conf.py), as the application role
#   worker     the webhook worker, as the application role
#   manage ... any manage.py command (e.g. `manage rotate_keys --status`)
set -eu
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python}"
role="${1:-api}"
[ $# -gt 0 ] && shift
# Settings come from the environment alone: never a checkout's dev file (manage.py reads
# .dev/dev.env when ENV_FILE is unset; empty turns that off). A run outside a container, as in
# the tests, would otherwise mix dev keys (e.g. the audit MAC key) into the stack's.
export ENV_FILE="${ENV_FILE:-}"

case "$role" in
  migrate)
    : "${APP_DB_ROLE:?set APP_DB_ROLE: the role the api and the worker connect as}"
    if [ -n "${FIELD_KEYS_SEED_FILE:-}" ] && [ -n "${FIELD_KEYS_FILE:-}" ] \
        && [ ! -e "$FIELD_KEYS_FILE" ]; then
      # First start: copy the ring from its secret to the volume, where rotate_keys can
      # replace it atomically (a mounted secret is read-only).
      (umask 077 && cp "$FIELD_KEYS_SEED_FILE" "$FIELD_KEYS_FILE")
      echo "key ring seeded into $FIELD_KEYS_FILE"
    fi
    "$PYTHON" manage.py migrate --noinput
    "$PYTHON" manage.py audit_harden_db --app-role "$APP_DB_ROLE" --grant-app-tables
    ;;
  api)
    exec "$PYTHON" -m gunicorn -c deploy/gunicorn.conf.py referral_hub.wsgi:application
    ;;
  worker)
    exec "$PYTHON" manage.py run_worker
    ;;
  manage)
    exec "$PYTHON" manage.py "$@"
    ;;
  *)
    echo "usage: entrypoint.sh migrate | api | worker | manage COMMAND..." >&2
    exit 64
    ;;
esac
