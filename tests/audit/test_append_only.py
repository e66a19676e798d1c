"""The audit tables are append-only in the database itself (triggers from migration 0003)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from audit.models import AuditEvent, Checkpoint
from audit.services import audit_record
from tests.conftest import actor


@pytest.fixture
def event(alice):  # type: ignore[no-untyped-def]
    return audit_record(actor=actor(alice), action="test.event")


def _fails(sql: str, params: list | None = None) -> None:
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params or [])


def test_it_rejects_update_of_an_event(event):
    _fails("UPDATE audit_auditevent SET action = 'x' WHERE id = %s", [event.id])
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="x")


def test_it_rejects_delete_of_an_event(event):
    _fails("DELETE FROM audit_auditevent WHERE id = %s", [event.id])
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_it_rejects_emptying_the_table(event):
    statement = "TRUNCATE audit_auditevent" if connection.vendor == "postgresql" else None
    _fails(statement or "DELETE FROM audit_auditevent")


def test_it_protects_checkpoints_too(event):
    from audit.checkpoints import checkpoint_all
    from core.actor import SYSTEM

    (cp,) = checkpoint_all(actor=SYSTEM)[:1]
    _fails("UPDATE audit_checkpoint SET seq = 99 WHERE id = %s", [cp.id])
    _fails("DELETE FROM audit_checkpoint")
    if connection.vendor == "postgresql":
        _fails("TRUNCATE audit_checkpoint")
    assert Checkpoint.objects.filter(pk=cp.pk, seq=cp.seq).exists()


@pytest.mark.django_db(transaction=True)
def test_transactional_tests_can_still_write_and_flush(alice):
    audit_record(actor=actor(alice), action="test.event")
    assert AuditEvent.objects.count() >= 1


def test_triggers_are_back_after_a_transactional_test(event):
    _fails("DELETE FROM audit_auditevent")


def test_hardening_explains_itself_on_sqlite(db):
    from django.core.management import CommandError, call_command

    if connection.vendor != "sqlite":
        pytest.skip("SQLite message only")
    with pytest.raises(CommandError, match="for PostgreSQL"):
        call_command("audit_harden_db", app_role="anyone")
