"""PostgreSQL privilege hardening: the application role may only INSERT and SELECT audit rows."""

from __future__ import annotations

from typing import Any

APPEND_ONLY = ("audit_auditevent", "audit_checkpoint", "audit_archive")
HEAD_TABLE = "audit_chainhead"


class HardeningError(Exception):
    pass


def hardening_sql(
    role: str, *, quote: Any, sequences: list[str], app_tables: list[str], schema: str = "public"
) -> list[str]:
    """The statements `audit_harden_db` runs (also printed by `--print-sql` for a DBA)."""
    r = quote(role)
    protected = ", ".join(APPEND_ONLY)
    sql = [
        f"REVOKE ALL ON {protected}, {HEAD_TABLE} FROM PUBLIC",
        f"REVOKE ALL ON {protected}, {HEAD_TABLE} FROM {r}",
        f"GRANT SELECT, INSERT ON {protected} TO {r}",
        # The chain head moves on every append; it holds no event data (verification never
        # trusts it: a reset head is caught by the unique (chain, seq) and the checkpoints).
        f"GRANT SELECT, INSERT, UPDATE ON {HEAD_TABLE} TO {r}",
    ]
    # Nor may it create objects where the application's statements look names up: a function
    # or operator there with a better-matching signature than a built-in's would be chosen
    # instead of it (audit/shadowing.py). The schema's owner (the migration role) keeps it.
    sql.append(f"REVOKE CREATE ON SCHEMA {quote(schema)} FROM PUBLIC, {r}")
    sql += [f"GRANT USAGE, SELECT ON SEQUENCE {s} TO {r}" for s in sequences]
    if app_tables:
        sql.append(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(app_tables)} TO {r}")
    return sql


def _sequences(cursor: Any) -> list[str]:
    out = []
    for table in APPEND_ONLY:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        (name,) = cursor.fetchone()
        if name:
            out.append(name)
    return out


def _app_tables(cursor: Any) -> list[str]:
    cursor.execute(
        "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = current_schema() "
        "AND tablename NOT IN %s ORDER BY tablename",
        [(*APPEND_ONLY, HEAD_TABLE)],
    )
    return [row[0] for row in cursor.fetchall()]


def _schema(cursor: Any) -> str:
    cursor.execute("SELECT current_schema()")
    return str(cursor.fetchone()[0])


def _check_role(cursor: Any, role: str) -> None:
    cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = %s", [role])
    row = cursor.fetchone()
    if row is None:
        raise HardeningError(f"role {role!r} does not exist; create it first (see the docs).")
    if row[0]:
        raise HardeningError(f"role {role!r} is a superuser: it could bypass every protection.")
    cursor.execute(
        "SELECT count(*) FROM pg_tables WHERE tablename IN %s AND tableowner = %s",
        [APPEND_ONLY, role],
    )
    if cursor.fetchone()[0]:
        raise HardeningError(
            f"role {role!r} owns the audit tables (owners can drop triggers); run migrations "
            "as a separate owner role and give the application a role that owns nothing."
        )


def harden(connection: Any, role: str, *, grant_app_tables: bool, dry_run: bool) -> list[str]:
    """Check the role, then revoke and grant. Returns the SQL it ran (or would run)."""
    if connection.vendor != "postgresql":
        raise HardeningError(
            "audit_harden_db is for PostgreSQL; on SQLite the append-only triggers are the "
            "protection (SQLite has no roles)."
        )
    with connection.cursor() as cursor:
        _check_role(cursor, role)
        statements = hardening_sql(
            role,
            quote=connection.ops.quote_name,
            sequences=_sequences(cursor),
            app_tables=_app_tables(cursor) if grant_app_tables else [],
            schema=_schema(cursor),
        )
        if not dry_run:
            for statement in statements:
                cursor.execute(statement)
    return statements
