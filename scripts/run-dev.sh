#!/usr/bin/env bash
# Serve the API for local development, with a webhook worker beside it (stopped on exit).
set -euo pipefail
PORT="${1:-8000}"
.venv/bin/python manage.py run_worker &
WORKER_PID=$!
trap 'kill -TERM "$WORKER_PID" 2>/dev/null || true; wait "$WORKER_PID" 2>/dev/null || true' EXIT
echo "webhook worker running (pid $WORKER_PID)"
.venv/bin/python manage.py runserver "127.0.0.1:${PORT}" --noreload
