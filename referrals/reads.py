"""Reading one referral: the sender sees its client; the recipient what consent permits now.

Every recipient read that returns client fields writes a `disclosure` audit event (categories,
purpose, consent); other reads write `referral.read`. The reason narrative counts as client
data: the recipient sees it only while some category is permitted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from clients.categories import ALL_CATEGORIES
from clients.decrypt import client_fields
from consent.models import Consent
from consent.policy import Decision, decide
from core.actor import Actor
from core.errors import NotFound
from core.roles import Scope
from crypto.service import unseal_text
from referrals.models import Referral, ReferralMessage
from referrals.selectors import other_party, party_of
from referrals.states import SENDER
from referrals.trail import referral_audit


@dataclass(frozen=True)
class ReferralView:
    """What one caller may see of one referral, decided at read time."""

    referral: Referral
    party: str
    reason: str | None = None
    status_reason: str | None = None
    client: dict[str, dict[str, object]] = field(default_factory=dict)
    withheld_categories: tuple[str, ...] = ()
    basis: str = ""  # why categories are withheld: a consent.policy reason code


@dataclass(frozen=True)
class MessageView:
    message: ReferralMessage
    body: str | None


def _narrative(referral: Referral) -> tuple[str | None, str | None]:
    client = referral.client
    return (
        unseal_text(client=client, row=referral, column="reason"),
        unseal_text(client=client, row=referral, column="status_reason"),
    )


def _withheld(shown: frozenset[str] | tuple[str, ...]) -> tuple[str, ...]:
    return tuple(c for c in ALL_CATEGORIES if c not in shown)


def referral_read(*, actor: Actor, referral: Referral, at: datetime | None = None) -> ReferralView:
    """The referral as `actor` may see it now, audited (a `disclosure` for the recipient)."""
    party = party_of(actor, referral)
    if party is None:
        raise NotFound()
    if party == SENDER:
        return _sender_view(actor, referral)
    return _recipient_view(
        actor,
        referral,
        decide(
            client=referral.client,
            recipient_agency=referral.recipient_agency,
            at=at or timezone.now(),
        ),
    )


def _sender_view(actor: Actor, referral: Referral) -> ReferralView:
    sees = actor.sees_client_data or actor.has_scope(Scope.CLIENTS_READ)
    categories = ALL_CATEGORIES if sees and referral.client.erased_at is None else ()
    fields = client_fields(client=referral.client, categories=categories, actor=actor)
    reason, status_reason = _narrative(referral)
    referral_audit(
        actor=actor,
        referral=referral,
        action="referral.read",
        to_agency_id=referral.sender_agency_id,
        categories=fields.keys(),
    )
    return ReferralView(
        referral, SENDER, reason, status_reason, fields, _withheld(tuple(fields)), ""
    )


def _relied_on(referral: Referral, decision: Decision) -> Consent:
    """The referral's own consent if it still counts, else the newest active one."""
    for consent in decision.consents:
        if consent.id == referral.consent_id:
            return consent
    return decision.consents[0]


def _recipient_view(actor: Actor, referral: Referral, decision: Decision) -> ReferralView:
    if not decision.categories:
        referral_audit(
            actor=actor, referral=referral, action="referral.read", reason=decision.reason
        )
        return ReferralView(
            referral, "recipient", withheld_categories=ALL_CATEGORIES, basis=decision.reason
        )
    shown = tuple(c for c in ALL_CATEGORIES if c in decision.categories)
    fields = client_fields(client=referral.client, categories=shown, actor=actor)
    reason, status_reason = _narrative(referral)
    consent = _relied_on(referral, decision)
    referral_audit(
        actor=actor,
        referral=referral,
        action="disclosure",
        purpose=consent.purpose,
        consent_id=consent.id,
        categories=shown,
    )
    return ReferralView(
        referral, "recipient", reason, status_reason, fields, _withheld(shown), decision.reason
    )


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
        to_agency_id=other_party(referral, party),
    )
    return views
