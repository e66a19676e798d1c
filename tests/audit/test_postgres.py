"""PostgreSQL only: the hardened application role, and 16 concurrent writers on one chain."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from audit.models import AuditEvent
from audit.services import audit_record
from audit.verify import verify_chains
from tests.audit.concurrency import chain_seqs, concurrently
from tests.conftest import actor

pytestmark = pytest.mark.postgres
ROLE = "rh_app_test"


def _refused(sql: str) -> str:
    with pytest.raises(DatabaseError) as info, transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql)
    return str(info.value)


def test_the_hardened_app_role_can_only_insert_and_select(alice):
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {ROLE} NOLOGIN")  # rolled back with the test
    call_command("audit_harden_db", app_role=ROLE, grant_app_tables=True)
    before = audit_record(actor=actor(alice), action="test.before")
    with connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {ROLE}")
    try:
        event = audit_record(actor=actor(alice), action="test.as_app_role")  # INSERT works
        assert AuditEvent.objects.filter(pk=event.pk).exists()  # SELECT works
        for sql in (
            f"UPDATE audit_auditevent SET action = 'x' WHERE id = {before.id}",
            f"DELETE FROM audit_auditevent WHERE id = {before.id}",
            "TRUNCATE audit_auditevent",
            "UPDATE audit_checkpoint SET seq = 0",
        ):
            assert "permission denied" in _refused(sql)
        assert "must be owner" in _refused("ALTER TABLE audit_auditevent DISABLE TRIGGER ALL")
        assert "must be owner" in _refused(
            "DROP TRIGGER audit_auditevent_no_change ON audit_auditevent"
        )
        assert "permission denied" in _refused("SET session_replication_role = replica")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    assert verify_chains().valid


def test_hardening_refuses_a_role_that_owns_the_audit_tables(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'audit_auditevent'")
        (owner,) = cursor.fetchone()
    with pytest.raises(CommandError, match="superuser|owns"):
        call_command("audit_harden_db", app_role=owner)


@pytest.mark.django_db(transaction=True)
def test_sixteen_concurrent_writers_never_fork_the_chain(alice):
    writer, per_thread = actor(alice), 25

    def work(_: int) -> None:
        for _ in range(per_thread):
            with transaction.atomic():
                audit_record(actor=writer, action="test.concurrent")

    assert concurrently(16, work) == []
    seqs = chain_seqs(writer.chain)
    assert seqs == list(range(1, len(seqs) + 1))  # no gap, no duplicate
    assert len(seqs) >= 16 * per_thread
    report = verify_chains([writer.chain])
    assert report.valid, report.first_broken  # no fork: every prev_hash links
