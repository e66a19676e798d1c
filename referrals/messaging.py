"""Posting messages on a referral between its two agencies: sealed at rest, audited.

Reading them back is `referrals.reads.referral_messages_read`.

Messages stay possible after the consent is revoked or expires: they are the agencies' own
correspondence about closing the loop (for example "consent withdrawn, closing"). Erasing the
client destroys their key, so bodies become unreadable (`body: null`, `erased: true`).
"""

from __future__ import annotations

import uuid

from django.db import transaction

from core.actor import Actor
from core.errors import Conflict, NotFound
from crypto.service import seal_text
from referrals.events import emit_message_added
from referrals.models import Referral, ReferralMessage, ReferralStatus
from referrals.selectors import other_party, party_of
from referrals.trail import referral_audit
from referrals.transitions import may_write

BODY_MAX = 8000


@transaction.atomic
def referral_message_add(*, actor: Actor, referral: Referral, body: str) -> ReferralMessage:
    """Post a message from the actor's agency to the other party of the referral."""
    party = party_of(actor, referral)
    if party is None:
        raise NotFound()
    agency_id = may_write(actor)
    if referral.status == ReferralStatus.DRAFT:
        raise Conflict("Send the referral before messaging the recipient.", code="referral_draft")
    if referral.client.erased_at is not None:
        raise Conflict("The client was erased; no new messages.", code="client_erased")
    message = ReferralMessage(
        id=uuid.uuid4(),
        referral=referral,
        agency_id=agency_id,
        author_user_id=actor.user_id,
        author_integration_id=actor.integration_id,
    )
    message.body = seal_text(client=referral.client, row=message, column="body", value=body)
    message.save(force_insert=True)
    other = other_party(referral, party)
    emit_message_added(message, to_agency_id=other)
    referral_audit(
        actor=actor,
        referral=referral,
        action="referral.message",
        target=message,
        to_agency_id=other,
    )
    return message
