"""Outbox events about referrals: ids and enum values only, never client data."""

from __future__ import annotations

import uuid

from referrals.models import Referral, ReferralMessage, ReferralStatus
from webhooks.services import outbox_emit


def _ids(referral: Referral) -> dict[str, str | int]:
    return {
        "referral_id": str(referral.id),
        "sender_agency_id": str(referral.sender_agency_id),
        "recipient_agency_id": str(referral.recipient_agency_id),
        "status": referral.status,
        "version": referral.version,
    }


def _both(referral: Referral) -> list[uuid.UUID]:
    return [referral.sender_agency_id, referral.recipient_agency_id]


def emit_requested(referral: Referral) -> None:
    """A referral entered `requested`: the recipient learns of it; the sender's systems too."""
    outbox_emit(type="referral.requested", agency_ids=_both(referral), data=_ids(referral))


def emit_status_changed(referral: Referral, *, source: str) -> None:
    """Every later status change, to both parties (a draft's changes stay with the sender)."""
    agencies = [referral.sender_agency_id] if source == ReferralStatus.DRAFT else _both(referral)
    data = {**_ids(referral), "from_status": source}
    outbox_emit(type="referral.status_changed", agency_ids=agencies, data=data)
    if referral.status == ReferralStatus.EXPIRED:
        outbox_emit(type="referral.expired", agency_ids=agencies, data=_ids(referral))


def emit_consent_changed(referral: Referral, *, previous_consent_id: uuid.UUID) -> None:
    """The sender attached another consent: both parties (a draft's stays with the sender)."""
    draft = referral.status == ReferralStatus.DRAFT
    agencies = [referral.sender_agency_id] if draft else _both(referral)
    data = {
        **_ids(referral),
        "consent_id": str(referral.consent_id),
        "previous_consent_id": str(previous_consent_id),
    }
    outbox_emit(type="referral.consent_changed", agency_ids=agencies, data=data)


def emit_due_soon(referral: Referral) -> None:
    data = {**_ids(referral), "response_deadline": referral.response_deadline.isoformat()}  # type: ignore[union-attr]
    outbox_emit(type="referral.response_due_soon", agency_ids=_both(referral), data=data)


def emit_message_added(message: ReferralMessage, *, to_agency_id: uuid.UUID) -> None:
    data = {"referral_id": str(message.referral_id), "message_id": str(message.id)}
    outbox_emit(type="referral.message_added", agency_ids=[to_agency_id], data=data)
