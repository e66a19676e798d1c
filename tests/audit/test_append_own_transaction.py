"""PostgreSQL: an event appended outside any transaction is its own transaction (issue 19).

A read's disclosure (and a refused attempt) is appended with the connection in autocommit: one
statement when the cached head is right; when another writer moved the head, the chain is
locked and the row is appended and committed in the same round trip. These tests run with real
commits (`transaction=True`): inside a test transaction the other path would be taken.
"""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext
from psycopg2.extensions import TRANSACTION_STATUS_IDLE

from audit import rows, turns
from audit.models import AuditEvent
from audit.services import audit_record
from audit.verify import verify_chains
from tests.audit.concurrency import chain_seqs, concurrently
from tests.conftest import actor

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, databases=["default", "audit"]),
]


def _stays_in_autocommit(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Record every switch out of autocommit (what a BEGIN ... COMMIT pair costs)."""
    switches: list[bool] = []
    original = connection.set_autocommit

    def spy(autocommit: bool, *args: object, **kwargs: object) -> None:
        switches.append(autocommit)
        original(autocommit, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(connection, "set_autocommit", spy)
    return switches


def _idle() -> bool:
    """The server-side session has no open transaction."""
    return connection.connection.info.transaction_status == TRANSACTION_STATUS_IDLE


def test_an_append_with_the_right_head_is_one_autocommit_statement(alice, monkeypatch):
    writer = actor(alice)
    audit_record(actor=writer, action="test.first")  # primes this process's expected tail
    switches = _stays_in_autocommit(monkeypatch)
    with pytest.MonkeyPatch.context() as m:
        calls: list[str] = []
        real = connection.cursor

        def counting_cursor(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
            cursor = real(*args, **kwargs)
            execute = cursor.execute

            def counted(sql: str, params: object = None):  # type: ignore[no-untyped-def]
                calls.append(sql)
                return execute(sql, params)

            cursor.execute = counted
            return cursor

        m.setattr(connection, "cursor", counting_cursor)
        event = audit_record(actor=writer, action="test.second")
    assert switches == []  # never left autocommit: no BEGIN/COMMIT pair
    assert len(calls) == 1 and "audit_append" in calls[0]
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.action, stored.seq, stored.hash) == ("test.second", 2, event.hash)
    assert _idle()
    assert verify_chains([writer.chain]).valid


def test_a_stale_head_locks_the_chain_and_commits_with_the_row(alice, monkeypatch):
    writer = actor(alice)
    audit_record(actor=writer, action="test.first")  # this process expects the next at 2
    state = turns.chain(connection, writer.chain)
    expected = state.tail
    other = audit_record(actor=writer, action="test.elsewhere", using="audit")  # head moves to 2
    assert other.seq == 2
    state.tail = expected  # as another process's append would leave this process's guess
    switches = _stays_in_autocommit(monkeypatch)
    with CaptureQueriesContext(connection) as ctx:
        event = audit_record(actor=writer, action="test.after")
    sql = [q["sql"] for q in ctx.captured_queries]
    assert "audit_append(" in sql[0] and sql[1].startswith("BEGIN; SELECT seq, hash")  # refused,
    # then the chain locked and the row rebuilt for the real head
    assert switches == []
    assert _idle()  # the explicit BEGIN ... COMMIT of the locked path is closed
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.seq, stored.prev_hash, stored.action) == (3, other.hash, "test.after")
    rows = list(
        AuditEvent.objects.filter(chain=writer.chain).order_by("seq").values_list("seq", "action")
    )
    assert rows == [(1, "test.first"), (2, "test.elsewhere"), (3, "test.after")]
    assert verify_chains([writer.chain]).valid
    assert audit_record(actor=writer, action="test.next").seq == 4  # the cache is right again


def test_a_failed_locked_append_leaves_no_row_and_no_open_transaction(alice, monkeypatch):
    writer = actor(alice)
    audit_record(actor=writer, action="test.first")
    state = turns.chain(connection, writer.chain)
    expected = state.tail
    audit_record(actor=writer, action="test.elsewhere", using="audit")
    state.tail = expected  # as another process's append would: this process's guess is stale
    real = rows.materialize
    built: list[int] = []

    def corrupt_the_locked_build(record, seq, prev_hash, bound=None):  # type: ignore[no-untyped-def]
        row = real(record, seq, prev_hash, bound)
        built.append(seq)
        if len(built) == 2:  # the row built under the lock: its hash no longer matches
            row["hash"] = "f" * 64
        return row

    monkeypatch.setattr(rows, "materialize", corrupt_the_locked_build)
    with pytest.raises(DatabaseError, match="hash does not match"):
        audit_record(actor=writer, action="test.refused")
    assert _idle()
    assert not AuditEvent.objects.filter(action="test.refused").exists()
    monkeypatch.setattr(rows, "materialize", real)
    event = audit_record(actor=writer, action="test.recovered")
    assert event.seq == 3 and verify_chains([writer.chain]).valid


def test_sixteen_writers_outside_transactions_never_fork_the_chain(alice):
    writer, per_thread = actor(alice), 20

    def work(_: int) -> None:
        for _ in range(per_thread):
            audit_record(actor=writer, action="test.concurrent.read")

    assert concurrently(16, work) == []
    seqs = chain_seqs(writer.chain)
    assert seqs == list(range(1, 16 * per_thread + 1))  # every append landed once, no gap
    report = verify_chains([writer.chain])
    assert report.valid, report.first_broken
