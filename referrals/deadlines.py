"""Response deadlines: reminders before, expiry after (run by `expire_referrals` or the worker).

The deadline and the reminder cadence follow the referral's priority (`referrals/priorities.py`).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.actor import Actor
from referrals.events import emit_due_soon
from referrals.models import Priority, Referral, ReferralStatus
from referrals.priorities import cadence_for
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


def reminder_due_q(now: datetime) -> Q:
    """`requested`, before its deadline, inside its priority's first-reminder window, and not
    reminded within its priority's interval."""
    due = Q()
    for priority in Priority.values:
        cadence = cadence_for(priority)
        due |= Q(priority=priority, response_deadline__lte=now + cadence.first_reminder) & (
            Q(reminded_at__isnull=True) | Q(reminded_at__lte=now - cadence.remind_every)
        )
    return Q(status=ReferralStatus.REQUESTED, response_deadline__gt=now) & due


def referral_remind_due_soon(*, actor: Actor, now: datetime | None = None) -> int:
    """Warn both parties that a `requested` referral nears its deadline, at its priority's
    cadence (once per interval, however often the job runs)."""
    now = now or timezone.now()
    ids = Referral.objects.filter(reminder_due_q(now)).values_list("id", flat=True)
    return sum(_remind_one(actor=actor, referral_id=i, now=now) for i in list(ids))


@transaction.atomic
def _remind_one(*, actor: Actor, referral_id: uuid.UUID, now: datetime) -> int:
    claimed = Referral.objects.filter(reminder_due_q(now), pk=referral_id).update(reminded_at=now)
    if not claimed:  # answered meanwhile, or another run got there first
        return 0
    referral = Referral.objects.get(pk=referral_id)
    emit_due_soon(referral)
    referral_audit(actor=actor, referral=referral, action="referral.remind")
    return 1
