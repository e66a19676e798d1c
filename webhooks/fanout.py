"""Fan-out, in the worker: each new outbox row becomes one Delivery per matching subscription.

Idempotent: Delivery is unique per (subscription, event) and the row is marked `fanned_out_at`
in the same transaction, so two workers, or a worker killed half-way, never double a delivery.
A subscription receives the events of its own agency that occurred after it was created.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from webhooks.events import event_type_matches
from webhooks.models import Delivery, OutboxEvent, Subscription


def _pending_events(batch: int) -> list[OutboxEvent]:
    qs = OutboxEvent.objects.filter(fanned_out_at__isnull=True).order_by("id")
    if connection.vendor == "postgresql":
        qs = qs.select_for_update(skip_locked=True)
    return list(qs[:batch])


def _subscriptions_by_agency(events: list[OutboxEvent]) -> dict[object, list[Subscription]]:
    found: dict[object, list[Subscription]] = {}
    agencies = {e.agency_id for e in events}
    for sub in Subscription.objects.filter(agency_id__in=agencies, active=True).only(
        "id", "agency_id", "event_types", "created_at"
    ):
        found.setdefault(sub.agency_id, []).append(sub)
    return found


def fanout_pending(*, now: datetime | None = None, batch: int | None = None) -> int:
    """Create deliveries for up to `batch` new outbox rows; returns how many rows were handled."""
    now = now or timezone.now()
    give_up = now + timedelta(hours=settings.WEBHOOK_RETRY_HOURS)
    with transaction.atomic():
        events = _pending_events(batch or settings.WEBHOOK_BATCH_SIZE)
        if not events:
            return 0
        subs = _subscriptions_by_agency(events)
        deliveries = [
            Delivery(subscription=sub, event=event, next_attempt_at=now, give_up_at=give_up)
            for event in events
            for sub in subs.get(event.agency_id, [])
            if sub.created_at <= event.occurred_at
            and event_type_matches(sub.event_types, event.type)
        ]
        Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
        OutboxEvent.objects.filter(id__in=[e.id for e in events]).update(fanned_out_at=now)
    return len(events)
