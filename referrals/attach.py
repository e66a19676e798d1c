"""Attaching a newer consent to a live referral: from then on the referral follows that one.

To share more (or again) on a referral already sent, the sender records a new consent and
attaches it; the recipient is told by `referral.consent_changed`. The consent must be in
effect, the same client's, name the same recipient and fit the service (409
`consent_required` / `purpose_mismatch`); a closed referral answers 409 `referral_closed`.
Refusals are audited as denied and survive the rollback.
"""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone

from core.actor import Actor
from core.errors import Conflict, NotFound, PermissionDenied
from referrals.consents import consent_for_referral
from referrals.events import emit_consent_changed
from referrals.models import Referral
from referrals.selectors import party_of
from referrals.states import RECIPIENT, TERMINAL
from referrals.trail import referral_audit
from referrals.transitions import check_version, deny, locked_row, may_write


def referral_consent_attach(
    *,
    actor: Actor,
    referral: Referral,
    consent_id: uuid.UUID,
    expected_version: int | None = None,
) -> Referral:
    """The sender puts `referral` under another consent (the same consent again: no change)."""
    try:
        return _attach(
            actor=actor, referral=referral, consent_id=consent_id, expected=expected_version
        )
    except Conflict as refusal:
        deny(actor, referral, refusal.code, action="referral.consent_attach")
        raise


@transaction.atomic
def _attach(
    *, actor: Actor, referral: Referral, consent_id: uuid.UUID, expected: int | None
) -> Referral:
    party = party_of(actor, referral)
    if party is None:
        raise NotFound()
    if party == RECIPIENT:
        raise PermissionDenied("Only the sending agency can attach a consent to a referral.")
    may_write(actor)
    locked = locked_row(referral)
    check_version(actor, locked, expected, None)
    if locked.status in TERMINAL:
        raise Conflict(
            f"The referral is {locked.status}; a consent can no longer be attached.",
            code="referral_closed",
        )
    consent = consent_for_referral(
        client_id=locked.client_id,
        recipient_id=locked.recipient_agency_id,
        consent_id=consent_id,
        service_type=locked.service_type,
        at=timezone.now(),
    )
    if consent.id == locked.consent_id:
        return locked
    previous = locked.consent_id
    locked.consent = consent
    locked.version += 1
    locked.save(update_fields=["consent", "version", "updated_at"])
    emit_consent_changed(locked, previous_consent_id=previous)
    referral_audit(
        actor=actor,
        referral=locked,
        action="referral.consent_attach",
        consent_id=consent.id,
        purpose=consent.purpose,
        categories=consent.categories,
        reason=f"replaces:{previous}",
    )
    return locked
