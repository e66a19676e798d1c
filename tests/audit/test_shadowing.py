"""PostgreSQL only: a function or operator that shadows a built-in cannot make verification lie.

Attack first: with the database credentials alone (no audit key), edit an event's column, then
create `public.concat_ws(...)` with the exact argument types of the verifier's column digest,
mapping the edited value back to the original. PostgreSQL prefers that exact match over the
built-in `concat_ws(text, VARIADIC "any")`, so the digest came out as before the edit and
`audit_verify` said the chain was intact while the API served the edited row.
"""

from __future__ import annotations

import re

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from audit import mac
from audit.models import AuditEvent
from audit.services import audit_record
from audit.shadowing import refusal, shadowing_objects
from audit.verify import verify_chains
from audit.verify_rows import _plan_sql, _sql
from tests.audit.tamper import APP_ROLE, as_superuser
from tests.conftest import actor

pytestmark = pytest.mark.postgres


@pytest.fixture
def chain(alice):  # type: ignore[no-untyped-def]
    for n in range(4):
        audit_record(actor=actor(alice), action=f"test.step{n}", reason="" if n != 2 else "kept")
    return str(alice.agency_id)


def _digest_argument_types() -> list[str]:
    """What PostgreSQL sees for each argument of the column digest's concat_ws."""
    return ["varchar" if kind == "CharField" else "text" for _, kind in mac.bound_fields()]


def _shadow_concat_ws(original: str, edited: str) -> str:
    types = _digest_argument_types()
    args = ", ".join(f"a{i} {t}" for i, t in enumerate(types))
    put_back = ", ".join(
        f"CASE WHEN a{i} = '{edited}' THEN '{original}' ELSE a{i} END" for i in range(len(types))
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE FUNCTION public.concat_ws(sep text, {args}) RETURNS text LANGUAGE sql "
            f"AS $$ SELECT pg_catalog.concat_ws(sep, {put_back}) $$"
        )
    spelled = ["character varying" if t == "varchar" else t for t in types]
    return f"public.concat_ws(text, {', '.join(spelled)})"


def test_a_function_shadowing_a_builtin_cannot_hide_an_edited_column(chain):
    row = AuditEvent.objects.get(chain=chain, seq=3)
    assert row.reason == "kept"
    as_superuser("UPDATE audit_auditevent SET reason = 'rewritten' WHERE id = %s", [row.id])
    shadow = _shadow_concat_ws("kept", "rewritten")  # rolled back with the test

    assert shadowing_objects() == [f"function {shadow}"]
    report = verify_chains([chain])
    assert not report.valid
    assert report.first_broken is not None
    assert report.first_broken["chain"] == chain
    assert "public.concat_ws" in report.first_broken["reason"]
    assert "cannot be trusted" in report.first_broken["reason"]
    with pytest.raises(CommandError):
        call_command("audit_verify")
    with pytest.raises(CommandError):  # nothing is signed over it either
        call_command("audit_checkpoint")
    refused = AuditEvent.objects.filter(action="audit.inconsistent", object_id=f"{chain}#1")
    assert [e.reason for e in refused] == [refusal([f"function {shadow}"])[:64]]

    # and the digest itself no longer goes through it: without the check, the row is caught
    with connection.cursor() as cursor:
        cursor.execute(_sql(10), [chain, 0, 10])
        sealed = {seq: str(value) for seq, _c, value in cursor.fetchall()}
    stored = AuditEvent.objects.get(chain=chain, seq=3)
    values = {c: getattr(stored, c) for c, _ in mac.bound_fields()}
    assert sealed[3][64:] == mac.column_digest(values, mac.bound_fields()).hex()  # rewritten
    assert stored.mac != mac.event_mac(stored.hash, bytes.fromhex(sealed[3][64:]))


def test_an_operator_shadowing_a_builtin_is_reported_too(chain):
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION public.same(a varchar, b varchar) RETURNS boolean LANGUAGE sql "
            "AS $$ SELECT true $$"
        )
        cursor.execute(
            "CREATE OPERATOR public.= (LEFTARG = varchar, RIGHTARG = varchar, FUNCTION = same)"
        )
    assert shadowing_objects() == ["operator public.=(character varying, character varying)"]
    (walked,) = verify_chains([chain]).chains
    assert not walked.valid and walked.first_broken_seq == 1
    assert "operator public.=" in walked.reason


def test_an_audit_table_of_the_same_name_in_another_schema_is_reported(chain):
    """With `ALTER ROLE <api role> SET search_path = elsewhere, public`, the API would read a
    forged `elsewhere.audit_auditevent` while verification (as another role) checks the real
    table and passes."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE SCHEMA elsewhere")
        cursor.execute(
            "CREATE VIEW elsewhere.audit_auditevent AS SELECT * FROM public.audit_auditevent"
        )
    assert shadowing_objects() == ["relation elsewhere.audit_auditevent"]
    report = verify_chains([chain])
    assert not report.valid
    assert "relation elsewhere.audit_auditevent" in report.first_broken["reason"]


def test_an_exact_overload_planted_inside_pg_catalog_is_reported(chain):
    """A superuser may create functions in `pg_catalog` itself, where even the qualified
    `pg_catalog.concat_ws(...)` would pick the exact match; its object id gives it away."""
    row = AuditEvent.objects.get(chain=chain, seq=3)
    as_superuser("UPDATE audit_auditevent SET reason = 'rewritten' WHERE id = %s", [row.id])
    types = _digest_argument_types()
    args = ", ".join(f"a{i} {t}" for i, t in enumerate(types))
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE FUNCTION pg_catalog.concat_ws(sep text, {args}) RETURNS text "
            "LANGUAGE sql AS $$ SELECT 'forged' $$"
        )
    (found,) = shadowing_objects()
    assert found.startswith("function pg_catalog.concat_ws(text, text, character varying")
    (walked,) = verify_chains([chain]).chains
    assert not walked.valid and "pg_catalog.concat_ws" in walked.reason


def test_functions_of_other_names_and_extensions_are_not_shadows(chain):
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION public.rh_helper() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$"
        )
        cursor.execute("CREATE EXTENSION IF NOT EXISTS citext")  # defines = and || on citext
    assert shadowing_objects() == []
    assert verify_chains([chain]).valid


def test_the_verification_sql_names_each_function_and_operator_by_its_schema():
    """Every function the verifier's own statements call is `pg_catalog.`-qualified and every
    operator is `OPERATOR(pg_catalog.op)`: an exact-match overload elsewhere is never chosen."""
    syntax = {"coalesce", "extract", "operator"}  # SQL syntax, not functions looked up by name
    for sql in (_sql(100), _plan_sql()):
        calls = re.findall(r"([\w.]+)\s*\(", sql)
        bare = [c for c in calls if not c.startswith("pg_catalog.") and c.lower() not in syntax]
        assert bare == [], sql
        outside = re.sub(r"OPERATOR\(pg_catalog\.[^)]+\)|'[^']*'|E'[^']*'", " ", sql)
        assert not re.findall(r"\|\||[=<>*+]", outside.replace("%s", "")), outside


def test_the_hardened_app_role_cannot_create_functions_in_the_schema(alice):
    """Even where the schema's CREATE was granted to it (older databases granted it to
    everyone), `audit_harden_db` takes it away: the API's role cannot plant a shadow."""
    with connection.cursor() as cursor:  # rolled back with the test
        cursor.execute(f"CREATE ROLE {APP_ROLE} NOLOGIN")
        cursor.execute(f"GRANT CREATE ON SCHEMA public TO {APP_ROLE}")
    call_command("audit_harden_db", app_role=APP_ROLE, grant_app_tables=True)
    with connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {APP_ROLE}")
    try:
        with (
            pytest.raises(DatabaseError, match="permission denied for schema public"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(
                "CREATE FUNCTION public.concat_ws(a text) RETURNS text LANGUAGE sql "
                "AS $$ SELECT a $$"
            )
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
