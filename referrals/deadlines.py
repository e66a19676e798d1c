"""Response deadlines: reminders before, expiry after (run by `expire_referrals` or the worker)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.actor import Actor
from referrals.events import emit_due_soon
from referrals.models import Referral, ReferralStatus
from referrals.trail import referral_audit
from referrals.transitions import referral_transition

BATCH = 200


def _due(now: datetime) -> list[uuid.UUID]:
    return list(
        Referral.objects.filter(
            status=ReferralStatus.REQUESTED, response_deadline__lte=now
        ).values_list("id", flat=True)[:BATCH]
    )


def referral_expire_due(*, actor: Actor, now: datetime | None = None) -> int:
    """Move every overdue `requested` referral to `expired`, one transaction each."""
    now = now or timezone.now()
    expired, seen = 0, set()
    while batch := [i for i in _due(now) if i not in seen]:
        for referral_id in batch:
            seen.add(referral_id)
            expired += _expire_one(actor=actor, referral_id=referral_id, now=now)
    return expired


@transaction.atomic
def _expire_one(*, actor: Actor, referral_id: uuid.UUID, now: datetime) -> int:
    row = (
        Referral.objects.select_for_update(of=("self",), skip_locked=True, no_key=True)
        .filter(pk=referral_id, status=ReferralStatus.REQUESTED, response_deadline__lte=now)
        .first()
    )
    if row is None:  # answered meanwhile, or another worker holds it
        return 0
    referral_transition(actor=actor, referral=row, to=ReferralStatus.EXPIRED)
    return 1


def referral_remind_due_soon(*, actor: Actor, now: datetime | None = None) -> int:
    """Once per referral, warn both parties that a `requested` referral is close to its deadline."""
    now = now or timezone.now()
    window = now + timedelta(hours=settings.REFERRAL_REMINDER_HOURS)
    ids = Referral.objects.filter(
        status=ReferralStatus.REQUESTED,
        reminded_at__isnull=True,
        response_deadline__gt=now,
        response_deadline__lte=window,
    ).values_list("id", flat=True)
    return sum(_remind_one(actor=actor, referral_id=i, now=now) for i in list(ids))


@transaction.atomic
def _remind_one(*, actor: Actor, referral_id: uuid.UUID, now: datetime) -> int:
    claimed = Referral.objects.filter(
        pk=referral_id, status=ReferralStatus.REQUESTED, reminded_at__isnull=True
    ).update(reminded_at=now)
    if not claimed:  # another run got there first
        return 0
    referral = Referral.objects.get(pk=referral_id)
    emit_due_soon(referral)
    referral_audit(actor=actor, referral=referral, action="referral.remind")
    return 1
