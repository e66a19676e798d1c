"""Writes: the outbox, subscriptions and manual redelivery. Every change is audited."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from core.actor import Actor
from core.errors import PermissionDenied
from webhooks import signing
from webhooks.destinations import url_validate
from webhooks.events import EVENT_TYPES, event_types_validate
from webhooks.models import Delivery, DeliveryStatus, OutboxEvent, Subscription
from webhooks.selectors import may_manage

# Outbox data values are ids and enums: no spaces, short. Free text (names, notes) is refused.
_SAFE_VALUE = re.compile(r"^[A-Za-z0-9_.:+\-]{0,64}$")


def _check_data(data: dict[str, Any]) -> None:
    for key, value in data.items():
        values = value if isinstance(value, list) else [value]
        for item in values:
            if item is None or isinstance(item, bool | int):
                continue
            if not isinstance(item, str | uuid.UUID) or not _SAFE_VALUE.match(str(item)):
                raise ValueError(
                    f"outbox_emit: data[{key!r}] must hold ids or enum values only (no free text, "
                    "no survivor data); pass the id of the object instead."
                )


def outbox_emit(
    *, type: str, agency_ids: Iterable[uuid.UUID], data: dict[str, Any]
) -> list[OutboxEvent]:
    """One event per distinct agency. `data` must hold ids and enums only (no survivor values)."""
    if type not in EVENT_TYPES:
        raise ValueError(f"outbox_emit: unknown event type {type!r}; add it to webhooks/events.py.")
    _check_data(data)
    clean = {k: ([str(i) for i in v] if isinstance(v, list) else v) for k, v in data.items()}
    clean = {k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in clean.items()}
    events = [OutboxEvent(agency_id=a, type=type, data=clean) for a in dict.fromkeys(agency_ids)]
    return OutboxEvent.objects.bulk_create(events)


def _own(actor: Actor, subscription: Subscription) -> None:
    if not may_manage(actor) or subscription.agency_id != actor.agency_id:
        raise PermissionDenied()


def _set_secret(subscription: Subscription, secret: str) -> None:
    key_id, blob = signing.secret_encrypt(
        secret, subscription_id=subscription.id, agency_id=subscription.agency_id
    )
    subscription.secret_key_id, subscription.secret_ciphertext = key_id, blob


@transaction.atomic
def subscription_create(
    *, actor: Actor, url: str, event_types: list[str], active: bool = True, description: str = ""
) -> tuple[Subscription, str]:
    """A subscription for the actor's own agency, and its secret (shown once)."""
    if not may_manage(actor) or actor.agency_id is None:
        raise PermissionDenied()
    subscription = Subscription(
        agency_id=actor.agency_id,
        url=url_validate(url),
        event_types=event_types_validate(event_types),
        active=active,
        description=description,
    )
    secret = signing.secret_generate()
    _set_secret(subscription, secret)
    subscription.save()
    audit_record(
        actor=actor, action="webhook.create", target=subscription, target_agency_id=actor.agency_id
    )
    return subscription, secret


@transaction.atomic
def subscription_update(
    *, actor: Actor, subscription: Subscription, **changes: Any
) -> Subscription:
    """Change url, event_types, active or description."""
    _own(actor, subscription)
    if "url" in changes:
        changes["url"] = url_validate(changes["url"])
    if "event_types" in changes:
        changes["event_types"] = event_types_validate(changes["event_types"])
    allowed = {"url", "event_types", "active", "description"}
    fields = [name for name in changes if name in allowed]
    for name in fields:
        setattr(subscription, name, changes[name])
    subscription.save(update_fields=[*fields, "updated_at"])
    audit_record(
        actor=actor,
        action="webhook.update",
        target=subscription,
        target_agency_id=subscription.agency_id,
        reason=",".join(sorted(fields)),
    )
    return subscription


@transaction.atomic
def subscription_delete(*, actor: Actor, subscription: Subscription) -> None:
    """Delete the subscription; its pending deliveries go with it."""
    _own(actor, subscription)
    audit_record(
        actor=actor,
        action="webhook.delete",
        target=subscription,
        target_agency_id=subscription.agency_id,
    )
    subscription.delete()


@transaction.atomic
def subscription_rotate_secret(
    *, actor: Actor, subscription: Subscription
) -> tuple[Subscription, str]:
    """A new secret (returned once); the old one still signs for WEBHOOK_SECRET_GRACE_HOURS."""
    _own(actor, subscription)
    subscription.previous_secret_key_id = subscription.secret_key_id
    subscription.previous_secret_ciphertext = subscription.secret_ciphertext
    grace = timedelta(hours=settings.WEBHOOK_SECRET_GRACE_HOURS)
    subscription.previous_secret_expires_at = timezone.now() + grace if grace else None
    secret = signing.secret_generate()
    _set_secret(subscription, secret)
    subscription.save()
    audit_record(
        actor=actor,
        action="webhook.rotate_secret",
        target=subscription,
        target_agency_id=subscription.agency_id,
    )
    return subscription, secret


@transaction.atomic
def delivery_redeliver(
    *, actor: Actor, delivery: Delivery, now: datetime | None = None
) -> Delivery:
    """Queue the delivery again now, with a fresh retry window; the webhook-id stays the same."""
    _own(actor, delivery.subscription)
    now = now or timezone.now()
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = now
    delivery.give_up_at = now + timedelta(hours=settings.WEBHOOK_RETRY_HOURS)
    delivery.locked_until = None
    delivery.save(
        update_fields=["status", "next_attempt_at", "give_up_at", "locked_until", "updated_at"]
    )
    audit_record(
        actor=actor,
        action="webhook.redeliver",
        target=delivery,
        target_agency_id=delivery.subscription.agency_id,
    )
    return delivery
