#!/usr/bin/env bash
# Serve the API for local development (the worker joins it once webhooks exist).
set -euo pipefail
PORT="${1:-8000}"
exec .venv/bin/python manage.py runserver "127.0.0.1:${PORT}" --noreload
