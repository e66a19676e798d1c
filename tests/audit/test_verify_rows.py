"""Verification's rows fetched ahead (audit/verify_rows.py): the same rows, in order, from the
caller's own connection and transaction (or, outside one, from connections of its own); a
broken chain stops its fetching; an error while fetching reaches the caller; no fetching thread
or connection outlives a verification."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import DatabaseError, connection, connections, transaction

import audit.verify_rows
from audit import mac
from audit.models import AuditEvent
from audit.services import audit_record
from audit.verify import verify_chains
from audit.verify_rows import Stream, rows
from tests.audit.tamper import as_superuser
from tests.conftest import actor


@pytest.fixture
def chains(alice, carol):  # type: ignore[no-untyped-def]
    """Seven events in Eastside's chain, three in Harbor's: (eastside, harbor)."""
    for n in range(7):
        audit_record(actor=actor(alice), action=f"test.step{n}")
    for n in range(3):
        audit_record(actor=actor(carol), action=f"test.other{n}")
    return str(alice.agency_id), str(carol.agency_id)


@pytest.fixture
def small_pages(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(audit.verify_rows, "PAGE", 2)


def _fetchers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "audit-verify-fetch"]


def test_the_rows_are_every_stored_row_in_seq_order_with_its_mac_and_column_digest(
    chains, small_pages
):
    eastside, _ = chains
    fields = mac.bound_fields()
    expected = [
        (e.seq, bytes(e.canonical), (e.mac + mac.column_digest(values, fields).hex()).encode())
        for e, values in (
            (e, AuditEvent.objects.filter(pk=e.pk).values(*[c for c, _ in fields]).get())
            for e in AuditEvent.objects.filter(chain=eastside).order_by("seq")
        )
    ]
    assert list(rows(eastside)) == expected
    assert [r[0] for r in rows(eastside, after=2, through=5)] == [3, 4, 5]
    assert _fetchers() == []


def test_pages_walk_in_order_across_chains_and_a_broken_chain_stops_there(chains, small_pages):
    eastside, harbor = chains
    row = AuditEvent.objects.get(chain=eastside, seq=3)
    as_superuser("UPDATE audit_auditevent SET outcome = 'deny' WHERE id = %s", [row.id])
    report = verify_chains([eastside, harbor])
    by_chain = {c.chain: c for c in report.chains}
    assert (by_chain[eastside].valid, by_chain[eastside].first_broken_seq) == (False, 3)
    assert by_chain[eastside].reason == "column outcome differs from the canonical record"
    assert by_chain[eastside].events_checked == 2
    assert by_chain[harbor].valid and by_chain[harbor].events_checked == 3
    assert _fetchers() == []


def test_a_skipped_segment_yields_no_further_pages(chains, small_pages):
    eastside, harbor = chains
    seen: list[tuple[int, list[int]]] = []
    with Stream([(eastside, 0, None), (harbor, 0, None)]) as stream:
        for index, page in stream:
            seen.append((index, [r[0] for r in page]))
            if index == 0:
                stream.skip(0)
    assert seen == [(0, [1, 2]), (1, [1, 2]), (1, [3])]
    assert _fetchers() == []


def test_rows_of_the_callers_open_transaction_are_verified(chains, alice):
    eastside, _ = chains
    with transaction.atomic():
        audit_record(actor=actor(alice), action="test.uncommitted", target=("x", uuid.uuid4()))
        (report,) = verify_chains([eastside]).chains
        assert report.valid and report.events_checked == 8


@pytest.mark.postgres
def test_a_database_error_while_fetching_reaches_the_caller(chains, monkeypatch):
    eastside, _ = chains
    monkeypatch.setattr(audit.verify_rows, "_sql", lambda page: "SELECT nonsense(%s, %s, %s)")
    with pytest.raises(DatabaseError), transaction.atomic():
        verify_chains([eastside])
    assert _fetchers() == []
    assert connection.vendor == "postgresql"


@pytest.mark.postgres
def test_any_error_in_a_fetching_thread_reaches_the_caller(chains, monkeypatch):
    def boom(page: int) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr(audit.verify_rows, "_sql", boom)
    with pytest.raises(RuntimeError, match="boom"):
        verify_chains(list(chains))
    assert _fetchers() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_pages_come_from_connections_of_its_own(alice, carol, monkeypatch):
    monkeypatch.setattr(audit.verify_rows, "PAGE", 2)
    monkeypatch.setattr(audit.verify_rows, "PARALLEL_ROWS", 0)
    for n in range(7):
        audit_record(actor=actor(alice), action=f"test.step{n}")
    for n in range(3):
        audit_record(actor=actor(carol), action=f"test.other{n}")
    eastside, harbor = str(alice.agency_id), str(carol.agency_id)
    opened: list = []
    create = connections.create_connection

    def counted(alias: str):  # type: ignore[no-untyped-def]
        opened.append(create(alias))
        return opened[-1]

    monkeypatch.setattr(connections, "create_connection", counted)
    report = verify_chains([eastside, harbor])
    assert report.valid and report.events_checked == 10
    assert len(opened) == audit.verify_rows.WORKERS
    assert all(own.connection is None for own in opened)  # closed again

    row = AuditEvent.objects.get(chain=eastside, seq=5)
    with transaction.atomic():
        as_superuser("UPDATE audit_auditevent SET outcome = 'deny' WHERE id = %s", [row.id])
    by_chain = {c.chain: c for c in verify_chains([eastside, harbor]).chains}
    assert (by_chain[eastside].valid, by_chain[eastside].first_broken_seq) == (False, 5)
    assert by_chain[eastside].reason == "column outcome differs from the canonical record"
    assert by_chain[harbor].valid and by_chain[harbor].events_checked == 3
    assert len(opened) == 2 * audit.verify_rows.WORKERS
    assert _fetchers() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_deleted_row_inside_a_range_page_is_a_gap_at_its_seq(alice, monkeypatch):
    monkeypatch.setattr(audit.verify_rows, "PAGE", 2)
    monkeypatch.setattr(audit.verify_rows, "PARALLEL_ROWS", 0)
    for n in range(7):
        audit_record(actor=actor(alice), action=f"test.step{n}")
    eastside = str(alice.agency_id)
    with transaction.atomic():
        as_superuser("DELETE FROM audit_auditevent WHERE chain = %s AND seq = 4", [eastside])
    (report,) = verify_chains([eastside]).chains
    assert (report.valid, report.first_broken_seq, report.reason) == (
        False,
        4,
        "missing events (seq gap)",
    )
    assert report.events_checked == 3
    assert _fetchers() == []
