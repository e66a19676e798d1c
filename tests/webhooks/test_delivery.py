"""At-least-once, signed delivery to a real receiver on 127.0.0.1."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from tests.webhooks.receiver import Receiver
from webhooks.delivery import delivery_claim
from webhooks.fanout import fanout_pending
from webhooks.models import Delivery, DeliveryAttempt, DeliveryStatus, OutboxEvent
from webhooks.services import outbox_emit
from webhooks.worker import worker_drain

pytestmark = pytest.mark.django_db


def _emit(agency, n: int = 1, type: str = "referral.requested") -> list[OutboxEvent]:
    events = []
    for _ in range(n):
        events += outbox_emit(
            type=type, agency_ids=[agency.id], data={"referral_id": str(agency.id)}
        )
    return events


def test_it_delivers_a_signed_payload_with_ids_only(eastside, adam, receiver, subscribe):
    subscribe(adam)
    [event] = _emit(eastside)
    total = worker_drain()
    assert total.delivered == 1 and receiver.rejected == 0
    got = receiver.accepted[str(event.event_id)]
    assert got["event"] == {
        "id": str(event.event_id),
        "type": "referral.requested",
        "occurred_at": event.occurred_at.isoformat().replace("+00:00", "Z"),
        "data": {"referral_id": str(eastside.id)},
    }
    assert got["headers"]["webhook-id"] == str(event.event_id)
    assert re.fullmatch(r"v1,[A-Za-z0-9+/]+=*", got["headers"]["webhook-signature"])
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempt_count == 1
    assert DeliveryAttempt.objects.get().status_code == 200


def test_it_retries_through_an_outage_and_ends_with_one_copy_of_each_event(
    eastside, adam, receiver, subscribe
):
    subscribe(adam)
    now = timezone.now()
    first = _emit(eastside, 3)
    receiver.mode = "fail"  # 500s
    worker_drain(now=now)
    receiver.stop()  # then down: connection refused
    second = _emit(eastside, 2)
    worker_drain(now=now + timedelta(hours=1))
    receiver.start()  # back up on the same port, but loses its answers once
    receiver.mode = "accept_then_fail"
    worker_drain(now=now + timedelta(hours=2))
    receiver.mode = "ok"
    worker_drain(now=now + timedelta(hours=8))
    emitted = {str(e.event_id) for e in first + second}
    assert set(receiver.accepted) == emitted
    assert len(receiver.received) > len(emitted)  # duplicates were sent and de-duplicated
    assert receiver.rejected == 0
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}
    errors = set(DeliveryAttempt.objects.values_list("error_class", flat=True))
    assert "ConnectionRefusedError" in errors
    assert DeliveryAttempt.objects.filter(status_code=500).exists()


def test_each_attempt_is_recorded_with_a_truncated_excerpt_and_next_retry(
    eastside, adam, receiver, subscribe
):
    subscribe(adam)
    _emit(eastside)
    receiver.mode = "fail"
    worker_drain()
    attempt = DeliveryAttempt.objects.get()
    assert attempt.status_code == 500 and attempt.duration_ms >= 0
    assert len(attempt.response_excerpt.encode()) <= 256
    assert attempt.response_excerpt.startswith("down for maintenance")
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert attempt.next_retry_at == delivery.next_attempt_at > attempt.attempted_at


def test_it_gives_up_after_three_days(eastside, adam, receiver, subscribe):
    subscribe(adam)
    now = timezone.now()
    _emit(eastside)
    receiver.mode = "fail"
    for hours in (0, 1, 10, 30, 71, 72, 73):
        worker_drain(now=now + timedelta(hours=hours))
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED and delivery.next_attempt_at is None
    assert delivery.attempt_count == 6  # the 73h pass found nothing due


def test_a_crash_before_commit_sends_nothing(eastside, adam, receiver, subscribe):
    subscribe(adam)
    with pytest.raises(RuntimeError), transaction.atomic():
        _emit(eastside)
        raise RuntimeError("the change failed after emitting")
    assert worker_drain().attempted == 0
    assert receiver.received == [] and OutboxEvent.objects.count() == 0


def test_a_worker_killed_mid_delivery_leaves_it_to_be_retried(
    settings, eastside, adam, receiver, subscribe
):
    subscribe(adam)
    [event] = _emit(eastside)
    now = timezone.now()
    fanout_pending(now=now)
    assert len(delivery_claim(now=now)) == 1  # claimed, then the worker "dies"
    assert worker_drain(now=now + timedelta(seconds=5)).attempted == 0  # lease still held
    later = now + timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS + 1)
    assert worker_drain(now=later).delivered == 1
    assert list(receiver.accepted) == [str(event.event_id)]


def test_a_stale_worker_cannot_overwrite_a_reclaimed_delivery(
    settings, eastside, adam, receiver, subscribe
):
    from webhooks.delivery import delivery_record
    from webhooks.sender import SendResult

    subscribe(adam)
    _emit(eastside)
    now = timezone.now()
    fanout_pending(now=now)
    [stale] = delivery_claim(now=now)
    later = now + timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS + 1)
    assert worker_drain(now=later).delivered == 1
    assert not delivery_record(stale, SendResult(500, "", 1, ""), now=later)
    assert Delivery.objects.get().status == DeliveryStatus.DELIVERED


def test_redirects_are_not_followed(eastside, adam, receiver, subscribe):
    subscribe(adam)
    _emit(eastside)
    receiver.mode = "redirect"
    worker_drain()
    assert receiver.paths == ["/hooks"]  # never /moved
    assert DeliveryAttempt.objects.get().status_code == 302
    assert Delivery.objects.get().status == DeliveryStatus.PENDING


def test_an_agency_receives_only_its_own_events(eastside, harbor, adam, receiver, subscribe):
    subscribe(adam)
    outbox_emit(type="referral.requested", agency_ids=[harbor.id], data={"referral_id": "r1"})
    assert worker_drain().attempted == 0
    assert receiver.received == [] and Delivery.objects.count() == 0


def test_event_types_filter_and_inactive_subscriptions(eastside, adam, receiver, subscribe):
    sub = subscribe(adam, event_types=("consent.revoked",))
    _emit(eastside, type="referral.requested")
    [wanted] = _emit(eastside, type="consent.revoked")
    worker_drain()
    assert list(receiver.accepted) == [str(wanted.event_id)]
    sub.active = False
    sub.save()
    _emit(eastside, type="consent.revoked")
    worker_drain()
    assert len(receiver.accepted) == 1


def test_fan_out_is_idempotent(eastside, adam, receiver, subscribe):
    subscribe(adam)
    _emit(eastside, 2)
    assert fanout_pending() == 2
    OutboxEvent.objects.update(fanned_out_at=None)  # as if a worker died before marking
    assert fanout_pending() == 2
    assert Delivery.objects.count() == 2


def test_rotation_signs_with_both_secrets_during_the_grace_period(
    eastside, adam, receiver, subscribe
):
    from tests.conftest import actor
    from webhooks.services import subscription_rotate_secret

    sub = subscribe(adam)
    old = receiver.secret
    _, new = subscription_rotate_secret(actor=actor(adam), subscription=sub)
    _emit(eastside)
    worker_drain()
    assert receiver.rejected == 0 and len(receiver.accepted) == 1  # verified with the old one
    [msg] = receiver.accepted.values()
    assert len(msg["headers"]["webhook-signature"].split(" ")) == 2
    receiver.secret = new
    _emit(eastside)
    worker_drain()
    assert receiver.rejected == 0 and len(receiver.accepted) == 2
    assert old != new


def test_payloads_carry_no_survivor_values(eastside):
    with pytest.raises(ValueError, match="ids or enum values only"):
        outbox_emit(type="referral.requested", agency_ids=[eastside.id], data={"note": "Maria G."})
    with pytest.raises(ValueError, match="unknown event type"):
        outbox_emit(type="client.created", agency_ids=[eastside.id], data={})


def test_it_reaches_the_receiver_once_per_subscription(
    eastside, adam, receiver: Receiver, subscribe
):
    subscribe(adam)
    subscribe(adam)  # the receiver now verifies with the second secret only
    _emit(eastside)
    worker_drain()
    assert Delivery.objects.count() == 2
    assert receiver.rejected == 1 and len(receiver.accepted) == 1
