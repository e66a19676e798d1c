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


APP_ROLE = "rh_app_tamper"


class AppRole:
    """The hardened application role (PostgreSQL): `audit_harden_db` leaves it INSERT and
    SELECT on the audit tables. Created inside the test's transaction (rolled back with it)."""

    def __enter__(self) -> AppRole:
        from django.core.management import call_command

        with connection.cursor() as cursor:
            cursor.execute(f"CREATE ROLE {APP_ROLE} NOLOGIN")
        call_command("audit_harden_db", app_role=APP_ROLE, grant_app_tables=True)
        with connection.cursor() as cursor:
            cursor.execute(f"SET ROLE {APP_ROLE}")
        return self

    def __exit__(self, *exc: object) -> None:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")


def as_app_role(sql: str, params: list[Any] | None = None) -> str | None:
    """Run `sql` as the hardened role; the database error's text when it is refused."""
    from django.db import DatabaseError, transaction

    with AppRole():
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, params or [])
        except DatabaseError as exc:
            return str(exc)
    return None


def forge_append(**kwargs: Any) -> Any:
    """Append an event as someone who has the code and database access, but not the audit MAC
    key: everything (seq, prev_hash, canonical, hash) is right except the MAC's key."""
    import os
    from unittest import mock

    from audit import mac
    from audit.services import audit_record

    with mock.patch.object(mac, "keys", return_value=(os.urandom(32),)):
        return audit_record(**kwargs)
