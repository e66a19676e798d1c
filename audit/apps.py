from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _reinstall_sqlite_triggers(using: str = "default", **kwargs: Any) -> None:
    """SQLite rebuilds a table to alter it (new table, copy, drop), which drops its triggers:
    after every migrate, put the append-only triggers back (idempotent)."""
    from django.db import connections

    from audit import triggers

    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    if set(triggers.PROTECTED_TABLES) <= set(connection.introspection.table_names()):
        triggers.install(connection)


class AuditConfig(AppConfig):
    name = "audit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(_reinstall_sqlite_triggers, sender=self)
