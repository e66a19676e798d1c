"""The audit trail of a referral: every event names the referral, its client and the other agency.

One helper instead of the same four keywords at each call site, so no event can forget the
client's pseudonym (which the accounting of disclosures and the owner's views query by).
"""

from __future__ import annotations

import uuid
from typing import Any

from audit.models import AuditEvent
from audit.services import Target, audit_record
from core.actor import Actor
from referrals.models import Referral


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
        actor=actor,
        action=action,
        target=referral if target is None else target,
        subject_id=referral.client_id,
        target_agency_id=to_agency_id or referral.recipient_agency_id,
        **fields,
    )
