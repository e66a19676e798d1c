"""Idempotency records past their lifetime: the cutoff, and the scheduled purge.

A record lives `IDEMPOTENCY_TTL_HOURS`; after that its key may be used again. Expired records
are deleted by the worker's `idempotency.purge` job, not by the requests (a DELETE on every
keyed POST cost a statement each); `api.idempotency` replaces a stale one only when a reused
key actually collides with it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from core.actor import Actor
from core.models import IdempotencyRecord

PURGE_BATCH = 5000


def idempotency_cutoff(now: datetime | None = None) -> datetime:
    """Records created before this have expired."""
    return (now or timezone.now()) - timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS)


def idempotency_purge(*, actor: Actor, now: datetime | None = None) -> int:
    """Delete expired records in batches; returns how many. (Housekeeping of a cache of
    answers: no audit event, like `webhooks.prune`.)"""
    expired = IdempotencyRecord.objects.filter(created_at__lt=idempotency_cutoff(now))
    removed = 0
    while ids := list(expired.values_list("id", flat=True)[:PURGE_BATCH]):
        removed += IdempotencyRecord.objects.filter(id__in=ids).delete()[0]
    return removed
