"""The worker process: `run_worker --once`, graceful stop, and concurrent claims on PostgreSQL."""

from __future__ import annotations

import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from webhooks.delivery import delivery_claim
from webhooks.fanout import fanout_pending
from webhooks.models import Delivery, DeliveryAttempt, DeliveryStatus
from webhooks.services import outbox_emit
from webhooks.worker import worker_drain, worker_loop


def _emit(agency, n: int) -> None:
    for _ in range(n):
        outbox_emit(type="referral.requested", agency_ids=[agency.id], data={"referral_id": "r"})


@pytest.mark.django_db
def test_run_worker_once_delivers_and_exits(eastside, adam, receiver, subscribe):
    subscribe(adam)
    _emit(eastside, 2)
    out = StringIO()
    call_command("run_worker", "--once", stdout=out)
    assert "delivered 2" in out.getvalue() and len(receiver.accepted) == 2


@pytest.mark.django_db
def test_the_loop_stops_when_asked(eastside, adam, receiver, subscribe):
    subscribe(adam)
    _emit(eastside, 1)
    stop = threading.Event()
    stop.set()  # SIGTERM arrived: the loop returns without starting new work
    worker_loop(stop)
    assert receiver.received == []


@pytest.mark.django_db
def test_a_stop_mid_batch_hands_unsent_claims_back_at_once(eastside, adam, receiver, subscribe):
    from webhooks.worker import worker_tick

    subscribe(adam)
    _emit(eastside, 3)
    stop = threading.Event()
    stop.set()
    tick = worker_tick(stop=stop, run_jobs=False)
    assert tick.fanned_out == 3 and tick.attempted == 0 and receiver.received == []
    assert not Delivery.objects.filter(locked_until__isnull=False).exists()
    assert worker_drain().delivered == 3  # no lease to wait for


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_claiming_concurrently_never_send_a_delivery_twice(
    eastside, adam, receiver, subscribe
):
    subscribe(adam)
    _emit(eastside, 40)
    fanout_pending()
    claimed: list[list] = [[], []]
    barrier = threading.Barrier(2)

    def work(slot: int) -> None:
        try:
            barrier.wait()
            while batch := delivery_claim(batch=3):
                claimed[slot].extend(d.id for d in batch)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert claimed[0] and claimed[1], "both workers should have claimed some rows"
    assert not set(claimed[0]) & set(claimed[1])
    assert len(claimed[0]) + len(claimed[1]) == 40


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_deliver_every_event_exactly_once(eastside, adam, receiver, subscribe):
    subscribe(adam)
    _emit(eastside, 30)

    def work() -> None:
        try:
            worker_drain()
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(receiver.received) == len(receiver.accepted) == 30
    assert DeliveryAttempt.objects.count() == 30
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}
