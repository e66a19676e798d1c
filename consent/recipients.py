"""What a consent's recipients hold and are told: asked through `clients.recipients` (the
referrals app registers there; consent never imports it)."""

from __future__ import annotations

import uuid
from datetime import datetime

from clients.recipients import recipients_of
from consent.models import Consent
from webhooks.services import outbox_emit

REFERRAL_IDS_IN_EVENT = 100


def recipient_relies_on(consent: Consent, agency_id: uuid.UUID | None) -> bool:
    """True if `agency_id` receives a referral that relies on `consent`."""
    return agency_id is not None and agency_id in recipients_of(consent=consent)


def notify_ended(consent: Consent, *, cause: str, at: datetime) -> None:
    """One `consent.revoked` outbox event per agency holding referrals under this consent.

    `cause` is `revoked` or `expired` (the event type covers both, see `webhooks/events.py`).
    """
    for agency_id, referral_ids in recipients_of(consent=consent).items():
        outbox_emit(
            type="consent.revoked",
            agency_ids=[agency_id],
            data={
                "consent_id": str(consent.pk),
                "client_id": str(consent.client_id),
                "referral_ids": referral_ids[:REFERRAL_IDS_IN_EVENT],
                "cause": cause,
                "ended_at": at.isoformat(),
            },
        )
