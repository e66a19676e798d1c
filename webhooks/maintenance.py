"""Housekeeping run by the worker or by hand: pruning old deliveries, rewrapping secrets."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from audit.services import audit_record
from core.actor import Actor
from crypto.providers import get_provider
from webhooks import signing
from webhooks.models import Delivery, DeliveryStatus, OutboxEvent, Subscription

PRUNE_BATCH = 2000


def webhooks_prune(*, actor: Actor, now: datetime | None = None) -> int:
    """Delete finished deliveries (with their attempts) and fanned-out events past retention."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.WEBHOOK_RETENTION_DAYS)
    finished = Delivery.objects.filter(
        status__in=[DeliveryStatus.DELIVERED, DeliveryStatus.FAILED], updated_at__lt=cutoff
    )
    removed = 0
    while ids := list(finished.values_list("id", flat=True)[:PRUNE_BATCH]):
        removed += Delivery.objects.filter(id__in=ids).delete()[1].get("webhooks.Delivery", 0)
    orphans = OutboxEvent.objects.filter(fanned_out_at__lt=cutoff).exclude(
        Exists(Delivery.objects.filter(event_id=OuterRef("pk")))
    )
    while event_ids := list(orphans.values_list("id", flat=True)[:PRUNE_BATCH]):
        OutboxEvent.objects.filter(id__in=event_ids).delete()
    return removed


def subscription_secrets_rewrap(*, actor: Actor) -> int:
    """Re-encrypt signing secrets not under the primary KEK (run after a KEK rotation)."""
    primary = get_provider().primary_id()
    done = 0
    for sub_id in Subscription.objects.exclude(secret_key_id=primary).values_list("id", flat=True):
        with transaction.atomic():
            sub = Subscription.objects.select_for_update().get(id=sub_id)
            ids = {"subscription_id": sub.id, "agency_id": sub.agency_id}
            secret = signing.secret_decrypt(sub.secret_key_id, sub.secret_ciphertext, **ids)
            sub.secret_key_id, sub.secret_ciphertext = signing.secret_encrypt(secret, **ids)
            sub.save(update_fields=["secret_key_id", "secret_ciphertext", "updated_at"])
            audit_record(
                actor=actor,
                action="webhook.secret_rewrap",
                target=sub,
                target_agency_id=sub.agency_id,
            )
            done += 1
    return done
