"""A referral at a glance: the summary every write answers with, and the items of a list.

The summary carries no survivor data (ids, states, agencies, the moves the caller may make).
A list item adds what a caseworker needs to recognise the referral: the other agency, the
unread message count and the client's display name, shown under the same decision as the
detail (`referrals.access`): the sender's own client; for the recipient, only while the
referral's own consent permits `identity`. Each recipient item showing a name is a
`disclosure` (reason `list`) in the client's accounting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from agencies.models import Agency
from audit.services import audit_record_many
from clients.categories import Category
from clients.decrypt import client_fields
from core.actor import Actor
from referrals.access import Access, referral_access
from referrals.models import Referral
from referrals.selectors import may_change, party_of
from referrals.states import RECIPIENT, SENDER, allowed_moves
from referrals.trail import referral_event


@dataclass(frozen=True)
class ReferralSummary:
    """One referral without survivor data, and the moves this caller may make from here."""

    referral: Referral
    party: str
    allowed_transitions: tuple[str, ...]

    @property
    def other_agency(self) -> Agency:
        r = self.referral
        return r.recipient_agency if self.party == SENDER else r.sender_agency


@dataclass(frozen=True)
class ReferralListItem(ReferralSummary):
    client_display_name: str | None = None
    client_withheld_basis: str = ""  # why the name is null: a consent.policy code or `scope`
    unread_messages: int = 0


def referral_summary_of(
    *, actor: Actor, referral: Referral, party: str | None = None
) -> ReferralSummary:
    """The summary for a party of `referral` (no decryption, no audit). `allowed_transitions`
    is empty for a caller who may not change referrals (e.g. a read-only integration)."""
    party = party or party_of(actor, referral) or ""
    moves = allowed_moves(source=referral.status, party=party) if may_change(actor) else []
    return ReferralSummary(referral, party, tuple(moves))


def display_name(identity: dict[str, object]) -> str | None:
    """The preferred name, else given and family name."""
    preferred = identity.get("preferred_name")
    if preferred:
        return str(preferred)
    parts = [str(identity[k]) for k in ("given_name", "family_name") if identity.get(k)]
    return " ".join(parts) or None


def _name(actor: Actor, referral: Referral, access: Access) -> tuple[str | None, str]:
    if Category.IDENTITY not in access.categories:
        return None, access.basis
    fields = client_fields(client=referral.client, categories=[Category.IDENTITY], actor=actor)
    return display_name(fields.get(Category.IDENTITY, {})), ""


def _item(actor: Actor, referral: Referral) -> tuple[ReferralListItem, Access]:
    access = referral_access(actor=actor, referral=referral)
    summary = referral_summary_of(actor=actor, referral=referral, party=access.party)
    name, basis = _name(actor, referral, access)
    unread = int(getattr(referral, "unread_messages", 0) or 0)
    item = ReferralListItem(
        referral, summary.party, summary.allowed_transitions, name, basis, unread
    )
    return item, access


def referral_list_read(*, actor: Actor, referrals: Sequence[Referral]) -> list[ReferralListItem]:
    """One page of referrals as list items (from `referral_list_for`: unread counts annotated),
    audited: one `disclosure` per recipient item showing a name, one `referral.list` event for
    the names of the sender's own clients; written together (`audit_record_many`: one round
    trip on PostgreSQL), so the page is not served unless all of them are."""
    items = [_item(actor, referral) for referral in referrals]
    events = [
        referral_event(
            actor=actor,
            referral=item.referral,
            action="disclosure",
            purpose=access.consent.purpose if access.consent else "",
            consent_id=access.consent.id if access.consent else None,
            categories=[Category.IDENTITY],
            reason="list",
        )
        for item, access in items
        if item.party == RECIPIENT and item.client_display_name
    ]
    own = sum(1 for item, _ in items if item.party == SENDER and item.client_display_name)
    if own:
        events.append(_own_names(actor, own))
    if events:
        audit_record_many(events=events)
    return [item for item, _ in items]


def _own_names(actor: Actor, count: int) -> dict[str, Any]:
    return {
        "actor": actor,
        "action": "referral.list",
        "target": ("referrals.referral", ""),
        "target_agency_id": actor.agency_id,
        "categories": [Category.IDENTITY],
        "reason": f"names={count}",
    }
