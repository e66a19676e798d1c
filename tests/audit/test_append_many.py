"""`audit_record_many`: a page's events in one round trip, the same events as one at a time."""

from __future__ import annotations

import contextlib
import json
import threading
import uuid
from datetime import UTC, datetime
from typing import Any
from unittest import mock

import pytest
from django.db import DatabaseError, connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from audit import append_many_sql, append_sql, turns
from audit.canonical import GENESIS_HASH
from audit.models import AuditEvent
from audit.rows import linked as _linked
from audit.services import audit_record, audit_record_many
from audit.verify import verify_chains
from core.actor import Actor
from tests.audit.concurrency import chain_seqs, concurrently
from tests.conftest import actor

# Everything but the position in the chain (and what is derived from it) and the event's id.
POSITION = {"id", "event_id", "seq", "prev_hash", "hash", "mac", "canonical"}
CLOCK = datetime(2026, 12, 2, 5, 30, tzinfo=UTC)


def _events(writer: Actor, other: Actor) -> list[dict[str, Any]]:
    consent = uuid.UUID(int=7)
    one = {
        "action": "disclosure",
        "target": ("test.thing", "42"),
        "target_agency_id": other.agency_id,
        "purpose": "housing",
        "consent_id": consent,
        "categories": ["identity"],
        "reason": "list",
    }
    return [
        {"actor": writer, **one},
        {"actor": writer, **one, "target": ("test.thing", "43"), "categories": ["contact"]},
        {"actor": other, "action": "test.other_chain"},  # another chain in between: its own run
        {"actor": writer, "action": "referral.list", "reason": "names=2"},
    ]


def _rows(since: int, until: int | None = None) -> list[dict[str, Any]]:
    rows = AuditEvent.objects.filter(id__gt=since).order_by("id")
    rows = rows.filter(id__lte=until) if until is not None else rows
    rows = rows.values()
    return [{k: v for k, v in row.items() if k not in POSITION} for row in rows]


def _last_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def test_a_batch_writes_the_same_events_in_the_same_order_as_one_at_a_time(alice, dave):
    writer, other = actor(alice), actor(dave)
    with mock.patch("django.utils.timezone.now", return_value=CLOCK):
        start = _last_id()
        audit_record_many(events=_events(writer, other))
        middle = _last_id()
        for event in _events(writer, other):
            audit_record(**event)
    batch, singles = _rows(start, middle), _rows(middle)
    assert len(batch) == 4 and batch == singles
    seqs = list(
        AuditEvent.objects.filter(chain=writer.chain).order_by("id").values_list("seq", flat=True)
    )
    assert seqs == list(range(1, 7)), "the writer's chain: 3 batched events, then 3 singles"
    report = verify_chains()
    assert report.valid, report.first_broken


def test_it_returns_the_stored_events_ids_in_order(alice, dave):
    ids = audit_record_many(events=_events(actor(alice), actor(dave)))
    stored = AuditEvent.objects.filter(id__in=ids).order_by("id")
    assert [s.id for s in stored] == ids
    assert [s.action for s in stored] == [e["action"] for e in _events(actor(alice), actor(dave))]


@pytest.mark.postgres
def test_a_page_of_events_on_one_chain_is_one_round_trip(alice, dave):
    writer, other = actor(alice), actor(dave)
    audit_record(actor=writer, action="test.warm")  # this connection knows the chain's head
    page = [e for e in _events(writer, other) if e["actor"] is writer] * 5
    with CaptureQueriesContext(connection) as ctx:
        audit_record_many(events=page)
    sql = [q["sql"] for q in ctx.captured_queries]
    assert len(sql) == 1 and append_many_sql.NAME in sql[0], sql
    assert AuditEvent.objects.filter(chain=writer.chain).count() == 1 + len(page)
    report = verify_chains([writer.chain])
    assert report.valid, report.first_broken


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_stale_cached_head_is_rebuilt_under_the_lock(alice, dave):
    """Another process appended since this one stored its last event: the function inserts
    nothing and names the head; the batch is rebuilt for it and lands, the chain unbroken."""
    writer, other = actor(alice), actor(dave)
    page = [e for e in _events(writer, other) if e["actor"] is writer]
    audit_record_many(events=page)
    state = turns.chain(connection, writer.chain)
    expected = state.tail

    def elsewhere() -> None:
        try:
            audit_record(actor=writer, action="test.elsewhere")
        finally:
            connections.close_all()

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join()
    assert state.tail != expected  # this process saw the other thread's event...
    state.tail = expected  # ...another process's would leave its expectation where it was
    with CaptureQueriesContext(connection) as ctx:
        audit_record_many(events=page)
    calls = [q for q in ctx.captured_queries if append_many_sql.NAME in q["sql"]]
    assert len(calls) == 2, "one refused for the stale head, one rebuilt for the real head"
    actions = list(
        AuditEvent.objects.filter(chain=writer.chain).order_by("seq").values_list("action", "seq")
    )
    expected = [e["action"] for e in page]
    assert [a for a, _ in actions] == [*expected, "test.elsewhere", *expected]
    assert [s for _, s in actions] == list(range(1, 2 * len(page) + 2))
    report = verify_chains([writer.chain])
    assert report.valid, report.first_broken


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_and_single_appends_never_fork_the_chain(alice, dave):
    writer, other = actor(alice), actor(dave)
    page = [e for e in _events(writer, other) if e["actor"] is writer]

    def work(n: int) -> None:
        for _ in range(6):
            # half in a transaction (a write's events), half in their own (a read's)
            with transaction.atomic() if n < 4 else contextlib.nullcontext():
                if n % 2:
                    audit_record(actor=writer, action="test.single")
                else:
                    audit_record_many(events=page)

    assert concurrently(8, work) == []
    seqs = chain_seqs(writer.chain)
    assert seqs == list(range(1, 4 * 6 + 4 * 6 * len(page) + 1))  # no gap, no duplicate
    report = verify_chains([writer.chain])
    assert report.valid, report.first_broken


def _call(rows: list[dict[str, Any]]) -> Any:
    names = append_sql.column_names()
    arrays = [[row[c] for row in rows] for c in names]
    arrays[names.index("categories")] = [json.dumps(row["categories"]) for row in rows]
    with connection.cursor() as cursor:
        cursor.execute(append_many_sql.call_sql(), arrays)
        return cursor.fetchone()


def _fresh_rows(writer: Actor, n: int) -> list[dict[str, Any]]:
    from audit.owner import Owned
    from audit.services import _build

    own = Owned(subject_id=None, subject_agency_id=writer.agency_id, shared_agency_id=None)
    record = _build(
        actor=writer,
        action="test.forged",
        target=None,
        target_agency_id=None,
        outcome="allow",
        reason="",
        purpose="",
        consent_id=None,
        categories=[],
        own=own,
    )
    return _linked([dict(record, event_id=str(uuid.uuid4())) for _ in range(n)], 0, GENESIS_HASH)


@pytest.mark.postgres
@pytest.mark.parametrize("forge", ["hash", "gap", "relink", "chain"])
def test_the_function_refuses_a_batch_that_is_not_one_honest_chain(alice, dave, forge):
    """A caller with the database role cannot slip a wrong hash, a gap, a row linked to the
    wrong predecessor or another chain's row into a batch: nothing is inserted."""
    writer = actor(alice)
    rows = _fresh_rows(writer, 3)
    if forge == "hash":
        rows[1]["canonical"] = rows[1]["canonical"] + b" "
    elif forge == "gap":
        rows[2]["seq"] += 1
    elif forge == "relink":
        rows[2]["prev_hash"] = rows[0]["hash"]
    else:
        rows[1]["chain"] = actor(dave).chain
    with pytest.raises(DatabaseError), transaction.atomic():
        _call(rows)
    assert not AuditEvent.objects.filter(action="test.forged").exists()


@pytest.mark.postgres
def test_the_function_appends_an_honest_batch(alice):
    ids, seq, head = _call(_fresh_rows(actor(alice), 3))
    assert len(ids) == 3 and seq == 3
    assert AuditEvent.objects.get(id=ids[-1]).hash == head
    report = verify_chains([actor(alice).chain])
    assert report.valid, report.first_broken
