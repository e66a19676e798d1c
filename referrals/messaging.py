"""Posting messages on a referral between its two agencies: sealed at rest, audited.

Reading them back is `referrals.reads.referral_messages_read`.

A message the sender writes is a disclosure to the recipient, so the sender may post only while
the referral discloses (its own consent in effect, fitting, a disclosing state): otherwise 409
`consent_required` (or `referral_closed`), audited as denied. The recipient may always post,
for example to close the loop ("consent withdrawn, closing"). Erasing the client destroys their
key, so bodies become unreadable (`body: null`, `erased: true`).
"""

from __future__ import annotations

import uuid

from django.db import transaction

from audit.services import INDEPENDENT
from consent.policy import REFERRAL_STATE, decide
from core.actor import Actor
from core.errors import Conflict, NotFound
from crypto.errors import ClientErased
from crypto.service import seal_text
from referrals.events import emit_message_added
from referrals.models import Referral, ReferralMessage, ReferralReadMark, ReferralStatus
from referrals.selectors import other_party, party_of
from referrals.states import SENDER
from referrals.trail import referral_audit
from referrals.transitions import may_write

BODY_MAX = 8000


def referral_message_add(*, actor: Actor, referral: Referral, body: str) -> ReferralMessage:
    """Post a message from the actor's agency to the other party of the referral."""
    try:
        return _add(actor=actor, referral=referral, body=body)
    except Conflict as refusal:
        referral_audit(
            actor=actor,
            referral=referral,
            action="referral.message",
            reason=refusal.code,
            outcome="deny",
            using=INDEPENDENT,
        )
        raise


def _sender_may_disclose(referral: Referral) -> None:
    decision = decide(referral=referral)
    if decision.allowed:
        return
    if decision.reason == REFERRAL_STATE:
        raise Conflict(
            f"The referral is {referral.status}: the recipient sees nothing more from you.",
            code="referral_closed",
        )
    raise Conflict(
        "The referral's consent is not in effect: the recipient may not receive your messages. "
        "Attach a consent in effect to the referral first.",
        code="consent_required",
        basis=decision.reason,
    )


@transaction.atomic
def _add(*, actor: Actor, referral: Referral, body: str) -> ReferralMessage:
    party = party_of(actor, referral)
    if party is None:
        raise NotFound()
    agency_id = may_write(actor)
    if referral.status == ReferralStatus.DRAFT:
        raise Conflict("Send the referral before messaging the recipient.", code="referral_draft")
    if referral.client.erased_at is not None:
        raise ClientErased("The client was erased; no new messages.")
    if party == SENDER:
        _sender_may_disclose(referral)
    message = ReferralMessage(
        id=uuid.uuid4(),
        referral=referral,
        # the poster's agency as the referral lookup already fetched it: the answer names it
        # without another query
        agency=referral.sender_agency if party == SENDER else referral.recipient_agency,
        author_user_id=actor.user_id,
        author_integration_id=actor.integration_id,
    )
    assert message.agency_id == agency_id, "the poster's agency is its party's agency"
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


def thread_mark_read(*, actor: Actor, referral: Referral, messages: list[ReferralMessage]) -> None:
    """The actor's agency has now seen the other agency's `messages` (unread count)."""
    if not messages or actor.agency_id is None:
        return
    upto = max(m.created_at for m in messages)
    marks = ReferralReadMark.objects.filter(referral=referral, agency_id=actor.agency_id)
    if marks.filter(last_read_at__lt=upto).update(last_read_at=upto):
        return
    ReferralReadMark.objects.bulk_create(
        [ReferralReadMark(referral=referral, agency_id=actor.agency_id, last_read_at=upto)],
        ignore_conflicts=True,
    )
