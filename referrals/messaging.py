"""Messages on a referral between its two agencies: sealed at rest, audited both ways.

Messages stay possible after the consent is revoked or expires: they are the agencies' own
correspondence about closing the loop (for example "consent withdrawn, closing"). Erasing the
client destroys their key, so bodies become unreadable (`body: null`, `erased: true`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db import transaction

from core.actor import Actor
from core.errors import Conflict, NotFound
from crypto.service import seal_text, unseal_text
from referrals.events import emit_message_added
from referrals.models import Referral, ReferralMessage, ReferralStatus
from referrals.selectors import party_of
from referrals.states import SENDER
from referrals.trail import referral_audit
from referrals.transitions import may_write

BODY_MAX = 8000


@dataclass(frozen=True)
class MessageView:
    message: ReferralMessage
    body: str | None


def _other(referral: Referral, party: str) -> uuid.UUID:
    return referral.recipient_agency_id if party == SENDER else referral.sender_agency_id


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
    other = _other(referral, party)
    emit_message_added(message, to_agency_id=other)
    referral_audit(
        actor=actor,
        referral=referral,
        action="referral.message",
        target=message,
        to_agency_id=other,
    )
    return message


def referral_messages_read(
    *, actor: Actor, referral: Referral, messages: list[ReferralMessage]
) -> list[MessageView]:
    """Decrypt one page of messages for a party of the referral, and audit the read."""
    party = party_of(actor, referral)
    if party is None:
        raise NotFound()
    views = [
        MessageView(m, unseal_text(client=referral.client, row=m, column="body")) for m in messages
    ]
    referral_audit(
        actor=actor,
        referral=referral,
        action="referral.messages.read",
        to_agency_id=_other(referral, party),
    )
    return views
