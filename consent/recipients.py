"""Referrals that rely on a consent, looked up lazily (the referrals app may not be installed)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.apps import apps
from django.db.models import QuerySet

from consent.models import Consent
from webhooks.services import outbox_emit

REFERRAL_IDS_IN_EVENT = 100


def referral_model() -> Any | None:
    """The Referral model, or None while the referrals app does not define it."""
    try:
        return apps.get_model("referrals", "Referral")
    except LookupError:
        return None


def referrals_under(consent: Consent) -> QuerySet[Any] | None:
    """Referrals sent under `consent` (drafts never reached a recipient)."""
    model = referral_model()
    if model is None:
        return None
    referrals: QuerySet[Any] = model.objects.filter(consent=consent).exclude(status="draft")
    return referrals


def recipient_relies_on(consent: Consent, agency_id: uuid.UUID | None) -> bool:
    """True if `agency_id` receives a referral that relies on `consent`."""
    rows = referrals_under(consent)
    return (
        agency_id is not None
        and rows is not None
        and rows.filter(recipient_agency_id=agency_id).exists()
    )


def notify_ended(consent: Consent, *, cause: str, at: datetime) -> None:
    """One `consent.revoked` outbox event per agency holding referrals under this consent.

    `cause` is `revoked` or `expired` (the event type covers both, see `webhooks/events.py`).
    """
    rows = referrals_under(consent)
    if rows is None:
        return
    by_agency: dict[uuid.UUID, list[str]] = {}
    for referral_id, agency_id in rows.order_by("id").values_list("id", "recipient_agency_id"):
        by_agency.setdefault(agency_id, []).append(str(referral_id))
    for agency_id, referral_ids in by_agency.items():
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
