"""Reading one referral, its messages and its history, as `referrals.access` decides; audited.

A recipient read that shows any survivor data (client fields, the sender's reason, messages or
status reasons) writes a `disclosure` event naming the categories, purpose and the referral's
own consent, so it appears in the client's accounting of disclosures; every other read writes
`referral.read` / `referral.messages.read` / `referral.history.read` with the withheld basis.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from clients.decrypt import client_fields
from core.actor import Actor
from crypto.service import unseal_text
from referrals.access import Access, referral_access
from referrals.messaging import thread_mark_read
from referrals.models import Referral, ReferralMessage, ReferralTransition
from referrals.selectors import other_party
from referrals.states import RECIPIENT, SENDER, SYSTEM
from referrals.summary import ReferralSummary, referral_summary_of
from referrals.trail import referral_audit


@dataclass(frozen=True)
class ReferralView(ReferralSummary):
    """What one caller may see of one referral, decided at read time."""

    reason: str | None = None
    status_reason: str | None = None
    client: dict[str, dict[str, object]] = field(default_factory=dict)
    withheld_categories: tuple[str, ...] = ()
    basis: str = ""  # why categories are withheld: a consent.policy reason code, or `scope`


@dataclass(frozen=True)
class MessageView:
    message: ReferralMessage
    body: str | None
    withheld_basis: str = ""  # why `body` is null: a consent.policy reason code, or `scope`


@dataclass(frozen=True)
class HistoryEntry:
    """One status change: when, from, to, which party, and its reason if the reader may see it."""

    transition: ReferralTransition
    party: str
    reason: str | None
    withheld_basis: str = ""


def _audit_read(
    actor: Actor,
    referral: Referral,
    access: Access,
    *,
    action: str,
    disclosed: bool,
    what: str,
    to_agency_id: uuid.UUID | None = None,
    shown: Sequence[str] = (),
) -> None:
    """A `disclosure` (reason: `what` was shown) for a recipient shown survivor data; else
    `action`, with the withheld basis as the reason."""
    if disclosed:
        referral_audit(
            actor=actor,
            referral=referral,
            action="disclosure",
            purpose=access.consent.purpose if access.consent else "",
            consent_id=access.consent.id if access.consent else None,
            categories=access.categories,
            reason=what,
        )
        return
    referral_audit(
        actor=actor,
        referral=referral,
        action=action,
        to_agency_id=to_agency_id or other_party(referral, access.party),
        categories=shown,
        reason=access.basis,
    )


def _writer(referral: Referral, agency_id: object) -> str:
    if agency_id == referral.sender_agency_id:
        return SENDER
    return RECIPIENT if agency_id == referral.recipient_agency_id else SYSTEM


def _may_read_text(access: Access, writer: str) -> bool:
    """Own agency's text (unless scope withholds it); the other party's as the decision says."""
    return access.own_text if writer == access.party else access.narrative


def _last_writer(referral: Referral) -> str:
    last = referral.transitions.order_by("-created_at", "-id").values_list("actor_agency_id")[:1]
    return _writer(referral, last[0][0] if last else None)


def referral_read(*, actor: Actor, referral: Referral, at: datetime | None = None) -> ReferralView:
    """The referral as `actor` may see it now, audited (a `disclosure` for the recipient)."""
    access = referral_access(actor=actor, referral=referral, at=at)
    client = referral.client
    fields = client_fields(client=client, categories=access.categories, actor=actor)
    reason = unseal_text(client=client, row=referral, column="reason") if access.narrative else None
    status_reason = None
    if referral.status_reason is not None and _may_read_text(access, _last_writer(referral)):
        status_reason = unseal_text(client=client, row=referral, column="status_reason")
    _audit_read(
        actor,
        referral,
        access,
        action="referral.read",
        disclosed=access.discloses and bool(fields),
        what="referral",
        to_agency_id=referral.sender_agency_id if access.party == SENDER else None,
        shown=list(fields),
    )
    summary = referral_summary_of(actor=actor, referral=referral, party=access.party)
    return ReferralView(
        referral,
        access.party,
        summary.allowed_transitions,
        reason=reason,
        status_reason=status_reason,
        client=fields,
        withheld_categories=access.withheld,
        basis=access.basis,
    )


def _message_view(
    actor: Actor, referral: Referral, access: Access, m: ReferralMessage
) -> MessageView:
    if _may_read_text(access, _writer(referral, m.agency_id)):
        body = unseal_text(client=referral.client, row=m, column="body", actor=actor)
        return MessageView(m, body, "" if body is not None else "client_erased")
    return MessageView(m, None, access.basis)


def referral_messages_read(
    *, actor: Actor, referral: Referral, messages: list[ReferralMessage]
) -> list[MessageView]:
    """One page of messages as the caller may see them; audited, and marks the thread read.

    A recipient shown messages the sender wrote: one `disclosure` (reason `messages`).
    """
    access = referral_access(actor=actor, referral=referral)
    views = [_message_view(actor, referral, access, m) for m in messages]
    theirs = [v for v in views if v.message.agency_id != actor.agency_id]
    shown_theirs = any(v.body is not None for v in theirs)
    _audit_read(
        actor,
        referral,
        access,
        action="referral.messages.read",
        disclosed=access.discloses and shown_theirs,
        what="messages",
    )
    thread_mark_read(actor=actor, referral=referral, messages=[v.message for v in theirs])
    return views


def _entry(referral: Referral, access: Access, row: ReferralTransition) -> HistoryEntry:
    party = SYSTEM if row.actor_kind == "system" else _writer(referral, row.actor_agency_id)
    if row.reason is None:
        return HistoryEntry(row, party, None)
    if party != SYSTEM and not _may_read_text(access, party):
        return HistoryEntry(row, party, None, access.basis)
    return HistoryEntry(row, party, unseal_text(client=referral.client, row=row, column="reason"))


def referral_history_read(*, actor: Actor, referral: Referral) -> list[HistoryEntry]:
    """Every status change of the referral, oldest first (FHIR Task history); audited.

    Reasons follow the same rule as messages: the reader's own agency's, and the other
    party's as the decision allows (a recipient shown one of the sender's: a `disclosure`).
    """
    access = referral_access(actor=actor, referral=referral)
    rows = list(
        referral.transitions.select_related("actor_agency", "actor_user").order_by(
            "created_at", "id"
        )
    )
    entries = [_entry(referral, access, row) for row in rows]
    shown_theirs = any(e.reason and e.party == SENDER for e in entries)
    _audit_read(
        actor,
        referral,
        access,
        action="referral.history.read",
        disclosed=access.discloses and shown_theirs,
        what="history",
    )
    return entries
