"""Liveness and readiness probes (no authentication, no data)."""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse

READINESS_CHECKS: list[tuple[str, str]] = []  # (name, "module:function") added by later apps


def index(request: HttpRequest) -> JsonResponse:
    """`GET /`: where things are (a JSON document, not a debug page)."""
    return JsonResponse(
        {
            "name": "referral-hub",
            "api": "/api/v1",
            "schema": "/api/schema",
            "docs": "/api/docs",
            "redoc": "/api/redoc",
            "console": "/app/",
            "health": "/healthz",
        }
    )


def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up."""
    return JsonResponse({"status": "ok"})


def _database() -> str | None:
    try:
        connection = connections[DEFAULT_DB_ALIAS]
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            return "migrations pending"
    except Exception:
        return "database unreachable"
    return None


def _keys() -> str | None:
    from crypto.providers import provider_status

    return provider_status()


def readyz(request: HttpRequest) -> JsonResponse:
    """Ready to serve: database reachable, migrations applied, keys loaded."""
    problems = {
        name: err for name, check in (("database", _database), ("keys", _keys)) if (err := check())
    }
    status = 503 if problems else 200
    return JsonResponse(
        {"status": "not_ready" if problems else "ready", "problems": problems}, status=status
    )
