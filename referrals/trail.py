"""The audit trail of a referral: every event names the referral, its client and the other agency.

One helper instead of the same four keywords at each call site, so no event can forget the
client's pseudonym (which the accounting of disclosures and the owner's views query by).

Who may see a referral's events is read off the row by `audit.owner` (registered in
`ReferralsConfig.ready`): the sender owns them (its client), the recipient shares them once
the referral was sent (`referral_parties`), a message's are its referral's.
"""

from __future__ import annotations

import uuid
from typing import Any

from audit.models import AuditEvent
from audit.owner import Parties
from audit.services import Target, audit_record
from core.actor import Actor
from referrals.models import Referral, ReferralMessage, ReferralStatus


def referral_parties(referral: Referral) -> Parties:
    """The sender's client; shared with the recipient unless it is still a draft (the same
    line `referrals.selectors` draws for the recipient's inbox)."""
    sent = referral.status != ReferralStatus.DRAFT
    return Parties(
        subject_agency_id=referral.sender_agency_id,
        shared_agency_id=referral.recipient_agency_id if sent else None,
        subject_id=referral.client_id,
    )


def message_parties(message: ReferralMessage) -> Parties:
    return referral_parties(message.referral)


def referral_owner_row(referral_id: uuid.UUID, using: str) -> Referral | None:
    """Unscoped, for the audit trail's owner rules only (audit/owner.py): ids and status."""
    fields = ("id", "sender_agency_id", "recipient_agency_id", "client_id", "status")
    return Referral.objects.using(using).only(*fields).filter(pk=referral_id).first()


def referral_audit(
    *,
    actor: Actor,
    referral: Referral,
    action: str,
    to_agency_id: uuid.UUID | None = None,
    target: Target = None,
    **fields: Any,
) -> AuditEvent:
    """`audit_record` about `referral` (the target unless another is named); the other agency
    is the recipient unless `to_agency_id` says otherwise."""
    return audit_record(
        **referral_event(
            actor=actor,
            referral=referral,
            action=action,
            to_agency_id=to_agency_id,
            target=target,
            **fields,
        )
    )


def referral_event(
    *,
    actor: Actor,
    referral: Referral,
    action: str,
    to_agency_id: uuid.UUID | None = None,
    target: Target = None,
    **fields: Any,
) -> dict[str, Any]:
    """`referral_audit`'s keywords for `audit_record`, for a batch (`audit_record_many`)."""
    return {
        "actor": actor,
        "action": action,
        "target": referral if target is None else target,
        "subject_id": referral.client_id,
        "target_agency_id": to_agency_id or referral.recipient_agency_id,
        **fields,
    }
