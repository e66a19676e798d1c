"""Claiming due deliveries, sending them, and recording every attempt.

Claim: PostgreSQL selects due rows `FOR UPDATE SKIP LOCKED` (workers never wait on each other);
every database then sets a lease (`locked_until`, `lock_token`) with one conditional UPDATE, so
SQLite (one writer at a time) is safe too. The HTTP call happens outside any transaction. A
worker that dies mid-delivery leaves the lease to expire; the row is then claimed again.
Results are written only while the worker still holds the lease (`lock_token` matches).
"""

from __future__ import annotations

import json
import random
import time
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from core.errors import IntegrityFailure
from webhooks import sender, signing
from webhooks.destinations import DestinationRefused, destination_resolve
from webhooks.models import Delivery, DeliveryAttempt, DeliveryStatus, Subscription
from webhooks.sender import SendResult


def _due(now: datetime) -> Q:
    return Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now) & (
        Q(locked_until__isnull=True) | Q(locked_until__lte=now)
    )


def delivery_claim(*, now: datetime | None = None, batch: int | None = None) -> list[Delivery]:
    """Lease up to `batch` due deliveries to this worker."""
    now = now or timezone.now()
    token = uuid.uuid4()
    lease = timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)
    with transaction.atomic():
        qs = Delivery.objects.filter(_due(now)).order_by("next_attempt_at", "id")
        if connection.vendor == "postgresql":
            qs = qs.select_for_update(skip_locked=True)
        ids = list(qs.values_list("id", flat=True)[: batch or settings.WEBHOOK_BATCH_SIZE])
        if not ids:
            return []
        Delivery.objects.filter(_due(now), id__in=ids).update(
            locked_until=now + lease, lock_token=token
        )
    return list(Delivery.objects.filter(lock_token=token).select_related("subscription", "event"))


def delivery_release(deliveries: list[Delivery]) -> None:
    """Give claimed-but-unsent deliveries back at once (stop requested, or lease running out)."""
    for delivery in deliveries:
        Delivery.objects.filter(id=delivery.id, lock_token=delivery.lock_token).update(
            locked_until=None
        )


def payload(delivery: Delivery) -> bytes:
    """`{id, type, occurred_at, data}`; data holds ids only (copied from the outbox row)."""
    event = delivery.event
    body = {
        "id": str(event.event_id),
        "type": event.type,
        "occurred_at": event.occurred_at.isoformat().replace("+00:00", "Z"),
        "data": event.data,
    }
    return json.dumps(body, separators=(",", ":"), sort_keys=True).encode()


def _secrets(sub: Subscription, now: datetime) -> list[str]:
    found = [
        signing.secret_decrypt(
            sub.secret_key_id,
            sub.secret_ciphertext,
            subscription_id=sub.id,
            agency_id=sub.agency_id,
        )
    ]
    if (
        sub.previous_secret_ciphertext
        and sub.previous_secret_expires_at
        and sub.previous_secret_expires_at > now
    ):
        found.append(
            signing.secret_decrypt(
                sub.previous_secret_key_id,
                sub.previous_secret_ciphertext,
                subscription_id=sub.id,
                agency_id=sub.agency_id,
            )
        )
    return found


def headers_for(delivery: Delivery, body: bytes, *, now: datetime) -> dict[str, str]:
    msg_id = str(delivery.event.event_id)
    timestamp = int(time.time())
    signature = signing.signature_header(
        _secrets(delivery.subscription, now), msg_id=msg_id, timestamp=timestamp, body=body
    )
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature,
    }


def delivery_attempt(delivery: Delivery, now: datetime) -> SendResult:
    """Check the destination again (DNS rebinding), sign, POST."""
    if not delivery.subscription.active:
        return SendResult(None, "SubscriptionInactive", 0, "")
    try:
        destination = destination_resolve(delivery.subscription.url)
        body = payload(delivery)
        headers = headers_for(delivery, body, now=now)
    except DestinationRefused:
        return SendResult(None, "DestinationRefused", 0, "")
    except IntegrityFailure:
        return SendResult(None, "SecretUnavailable", 0, "")
    return sender.post(destination, body=body, headers=headers)


def backoff(attempt_count: int) -> timedelta:
    """Exponential (base * 2^(n-1), capped) with equal jitter: half fixed, half random."""
    base, cap = settings.WEBHOOK_BACKOFF_BASE_SECONDS, settings.WEBHOOK_BACKOFF_CAP_SECONDS
    delay = min(cap, base * 2 ** max(attempt_count - 1, 0))
    jitter = random.uniform(0, delay / 2)  # noqa: S311 (jitter, not cryptography)
    return timedelta(seconds=delay / 2 + jitter)


def _next_state(
    delivery: Delivery, result: SendResult, now: datetime
) -> tuple[str, datetime | None]:
    if result.ok:
        return DeliveryStatus.DELIVERED, None
    if now >= delivery.give_up_at:
        return DeliveryStatus.FAILED, None
    return DeliveryStatus.PENDING, min(
        now + backoff(delivery.attempt_count + 1), delivery.give_up_at
    )


Outcome = tuple[Delivery, SendResult, datetime]


def delivery_record_many(outcomes: list[Outcome]) -> int:
    """Write the attempts and new states of a batch in one transaction (one commit per batch).

    A row is updated only while this worker still holds its lease; returns how many were.
    Dying before this commit means the batch is sent again later: a duplicate, never a loss.
    """
    attempts, kept = [], 0
    if not outcomes:
        return 0
    with transaction.atomic():
        for delivery, result, now in outcomes:
            status, next_at = _next_state(delivery, result, now)
            attempts.append(
                DeliveryAttempt(
                    delivery_id=delivery.id,
                    attempted_at=now,
                    status_code=result.status_code,
                    error_class=result.error_class,
                    duration_ms=result.duration_ms,
                    response_excerpt=result.excerpt,
                    next_retry_at=next_at,
                )
            )
            kept += Delivery.objects.filter(id=delivery.id, lock_token=delivery.lock_token).update(
                status=status,
                next_attempt_at=next_at,
                attempt_count=delivery.attempt_count + 1,
                last_status_code=result.status_code,
                last_error=result.error_class,
                delivered_at=now if result.ok else None,
                locked_until=None,
                updated_at=timezone.now(),
            )
        DeliveryAttempt.objects.bulk_create(attempts)
    return kept


def delivery_record(delivery: Delivery, result: SendResult, *, now: datetime) -> bool:
    """Write one attempt and the new state; False if the lease was lost meanwhile."""
    return delivery_record_many([(delivery, result, now)]) == 1


def delivery_send(delivery: Delivery, *, now: datetime | None = None) -> SendResult:
    """Attempt one claimed delivery and record the outcome."""
    now = now or timezone.now()
    result = delivery_attempt(delivery, now)
    delivery_record(delivery, result, now=now)
    return result
