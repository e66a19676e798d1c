"""Database triggers that make the audit tables append-only (SQLite and PostgreSQL).

Installed by migration 0003. `uninstall` exists only for the test suite's table flush (see
`tests/conftest.py`) and for a superuser doing a documented, deliberate maintenance step.
"""

from __future__ import annotations

from typing import Any

PROTECTED_TABLES = ("audit_auditevent", "audit_checkpoint", "audit_archive")
# Migration 0003 protected these two; audit_archive (migration 0006) came later.
FIRST_TABLES = ("audit_auditevent", "audit_checkpoint")

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit rows are append-only: % on % is not allowed', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
"""


def _pg_install(table: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}",
        f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
        f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION audit_reject_change()",
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_reject_change()",
    ]


def _sqlite_install(table: str) -> list[str]:
    # SQLite has no TRUNCATE: `DELETE FROM t` (its truncate optimisation is off when a
    # DELETE trigger exists) fires the row trigger.
    return [
        f"DROP TRIGGER IF EXISTS {table}_no_update",
        f"DROP TRIGGER IF EXISTS {table}_no_delete",
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
        "BEGIN SELECT RAISE(ABORT, 'audit rows are append-only: UPDATE is not allowed'); END",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
        "BEGIN SELECT RAISE(ABORT, 'audit rows are append-only: DELETE is not allowed'); END",
    ]


def install_sql(vendor: str, tables: tuple[str, ...] = PROTECTED_TABLES) -> list[str]:
    if vendor == "postgresql":
        return [_PG_FUNCTION] + [s for t in tables for s in _pg_install(t)]
    if vendor == "sqlite":
        return [s for t in tables for s in _sqlite_install(t)]
    raise NotImplementedError(f"audit triggers are not written for {vendor!r}")


def uninstall_sql(vendor: str, tables: tuple[str, ...] = PROTECTED_TABLES) -> list[str]:
    if vendor == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {t}_{name} ON {t}"
            for t in tables
            for name in ("no_change", "no_truncate")
        ]
    return [
        f"DROP TRIGGER IF EXISTS {t}_{name}" for t in tables for name in ("no_update", "no_delete")
    ]


def install(connection: Any, tables: tuple[str, ...] = PROTECTED_TABLES) -> None:
    with connection.cursor() as cursor:
        for statement in install_sql(connection.vendor, tables):
            cursor.execute(statement)


def uninstall(connection: Any, tables: tuple[str, ...] = PROTECTED_TABLES) -> None:
    with connection.cursor() as cursor:
        for statement in uninstall_sql(connection.vendor, tables):
            cursor.execute(statement)
