"""Tampering as a database superuser would: bypassing the append-only triggers."""

from __future__ import annotations

from typing import Any

from django.db import connection

from audit import triggers


def as_superuser(sql: str, params: list[Any] | None = None) -> None:
    """Run `sql` with the audit triggers out of the way (inside the test's transaction)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(sql, params or [])
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")
        else:
            triggers.uninstall(connection)
            cursor.execute(sql, params or [])
            triggers.install(connection)
