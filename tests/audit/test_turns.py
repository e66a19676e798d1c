"""This process's turn on a chain (audit/turns.py): group commit of own-transaction appends,
the turn inside a transaction, and the ways out of it. PostgreSQL only (the turn wraps the
`audit_append` protocol)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import DatabaseError, connection, connections, transaction

from audit import append_pg, turns
from audit.models import AuditEvent
from audit.services import audit_record
from audit.verify import verify_chains
from tests.audit.concurrency import chain_seqs, concurrently
from tests.conftest import actor

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, databases=["default", "audit"]),
]

WRITERS = 12


def _queued_behind_one(state: turns.Chain, inner, work) -> tuple[list[int], list[Exception]]:  # type: ignore[no-untyped-def]
    """Run `work(i)` in WRITERS threads: the first alone, held inside its statement until all
    the others queued behind it (deterministic, not timing luck). Returns the number of events
    each statement carried and the errors the threads raised."""
    sizes: list[int] = []
    entered = threading.Event()

    def leader(conn, chain_state, run):  # type: ignore[no-untyped-def]
        sizes.append(len(run))
        if len(sizes) == 1:
            entered.set()
            deadline = time.monotonic() + 10
            while len(state.queue) < WRITERS - 1 and time.monotonic() < deadline:
                time.sleep(0.005)
        return inner(conn, chain_state, run)

    errors: list[Exception] = []

    def first() -> None:
        try:
            work(0)
        except Exception as exc:  # noqa: BLE001 - returned to the test
            errors.append(exc)
        finally:
            connections.close_all()

    with pytest.MonkeyPatch.context() as m:
        m.setattr(append_pg, "_own_run", leader)
        thread = threading.Thread(target=first)
        thread.start()
        assert entered.wait(10)
        errors += concurrently(WRITERS - 1, lambda i: work(i + 1))
        thread.join()
    return sizes, errors


def test_own_transaction_appends_queued_on_one_chain_commit_together(alice):
    writer = actor(alice)
    audit_record(actor=writer, action="test.first")
    state = turns.chain(connection, writer.chain)
    returned: dict[int, tuple[int, str, str]] = {}

    def work(i: int) -> None:
        event = audit_record(actor=writer, action=f"test.reader.{i}")
        returned[i] = (int(event.pk), event.action, event.hash)

    sizes, errors = _queued_behind_one(state, append_pg._own_run, work)
    assert errors == []
    assert sizes == [1, WRITERS - 1]  # the first alone, then everyone queued: ONE statement
    assert chain_seqs(writer.chain) == list(range(1, WRITERS + 2))
    assert sorted(returned) == list(range(WRITERS))
    for i, (pk, action, digest) in returned.items():  # each caller got its own stored event
        stored = AuditEvent.objects.get(pk=pk)
        assert action == f"test.reader.{i}"
        assert (stored.action, stored.hash) == (action, digest)
    report = verify_chains([writer.chain])
    assert report.valid, report.first_broken
    assert not state.queue and not state.leading


def test_a_failed_batch_fails_every_caller_in_it_and_stores_none(alice):
    writer = actor(alice)
    audit_record(actor=writer, action="test.first")
    state = turns.chain(connection, writer.chain)
    real = append_pg._own_run

    def failing(conn, chain_state, run):  # type: ignore[no-untyped-def]
        if len(run) > 1:  # the statement of everyone queued behind the first
            raise DatabaseError("the batch's statement failed")
        return real(conn, chain_state, run)

    sizes, errors = _queued_behind_one(
        state, failing, lambda i: audit_record(actor=writer, action=f"test.r.{i}")
    )
    assert sizes == [1, WRITERS - 1]
    assert len(errors) == WRITERS - 1  # everyone in the failed batch heard of it
    assert all("the batch's statement failed" in str(e) for e in errors)
    assert AuditEvent.objects.filter(chain=writer.chain).count() == 2  # first + the leader's
    assert not state.queue and not state.leading
    assert audit_record(actor=writer, action="test.after").seq == 3
    assert verify_chains([writer.chain]).valid


def test_a_second_append_in_the_same_transaction_does_not_wait_for_the_turn(alice):
    writer = actor(alice)
    state = turns.chain(connection, writer.chain)
    with transaction.atomic():
        audit_record(actor=writer, action="test.one")
        assert turns.held(connection, state)
        assert state.mutex.acquire(blocking=False)  # someone else's turn now...
        try:
            second = audit_record(actor=writer, action="test.two")  # ...and no wait for it
        finally:
            state.mutex.release()
    assert second.seq == 2
    assert not turns.held(connection, state)  # committed: the lock is gone, and the marker
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(actor=writer, action="test.rolled.back")
        raise RuntimeError("the change failed")
    assert not turns.held(connection, state)  # rolled back: likewise
    assert chain_seqs(writer.chain) == [1, 2]
    assert verify_chains([writer.chain]).valid


def test_a_turn_not_given_in_time_goes_to_the_database_without_it(alice, monkeypatch):
    """A lock cycle through another chain would never give the turn back: after TURN_WAIT the
    writer goes to PostgreSQL anyway, which sees (and breaks) any real cycle."""
    writer = actor(alice)
    audit_record(actor=writer, action="test.first")
    state = turns.chain(connection, writer.chain)
    monkeypatch.setattr(turns, "TURN_WAIT", 0.2)
    taken = threading.Event()
    release = threading.Event()

    def hog() -> None:
        with state.mutex:
            taken.set()
            release.wait(10)

    thread = threading.Thread(target=hog)
    thread.start()
    taken.wait(5)
    started = time.monotonic()
    try:
        with transaction.atomic():
            event = audit_record(actor=writer, action="test.without.turn")
    finally:
        release.set()
        thread.join()
    assert 0.2 <= time.monotonic() - started < 5
    assert event.seq == 2 and verify_chains([writer.chain]).valid


def test_another_process_moving_the_head_is_found_and_the_guess_repaired(alice):
    writer = actor(alice)
    audit_record(actor=writer, action="test.first")
    state = turns.chain(connection, writer.chain)
    stale = state.tail
    audit_record(actor=writer, action="test.elsewhere", using="audit")
    state.tail = stale  # what another process's append leaves this process believing
    with transaction.atomic():
        event = audit_record(actor=writer, action="test.in.transaction")
    assert event.seq == 3 and state.tail == (3, event.hash)
    assert verify_chains([writer.chain]).valid


def test_a_chain_locked_first_before_it_has_a_head_starts_at_one(alice):
    """The process still believes another process appends there (its tables were emptied
    since, or the head row is new): the locked path finds no head row and starts the chain."""
    writer = actor(alice)
    state = turns.chain(connection, writer.chain)
    state.contended, state.tail = True, (7, "ab" * 32)
    event = audit_record(actor=writer, action="test.first")
    assert (event.seq, event.prev_hash) == (1, "0" * 64)
    assert state.tail == (1, event.hash)
    assert verify_chains([writer.chain]).valid
