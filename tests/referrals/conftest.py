"""Referral fixtures: Ana (an Eastside client), her consents, referrals to Safe Harbor Housing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from agencies.models import Agency
from clients.models import Client
from consent.models import Consent, ConsentStatus

SECRET_REASON = "Ana needs a confidential shelter bed tonight"
ANA = {
    "given_name": "Ana",
    "family_name": "Canary",
    "phone": "555-0100-canary",
    "gender": "female",
    "risk_notes": "canary-risk-note",
    "immigration_status": "canary-pending-u-visa",
}


@pytest.fixture
def ana(make_client, eastside: Agency) -> Client:  # type: ignore[no-untyped-def]
    return make_client(eastside, **ANA)


@pytest.fixture
def make_consent() -> Callable[..., Consent]:
    """`make_consent(client, recipient, categories=[...], days=30)` -> an active Consent."""

    def make(
        client: Client,
        recipient: Agency,
        categories: tuple[str, ...] = ("identity", "contact"),
        days: int = 30,
        **extra: Any,
    ) -> Consent:
        now = timezone.now()
        return Consent.objects.create(
            client=client,
            agency_id=client.agency_id,
            recipient_agency=recipient,
            categories=list(categories),
            purpose=extra.pop("purpose", "housing"),
            valid_from=now - timedelta(minutes=1),
            expires_at=now + timedelta(days=days),
            method="written",
            signed_by="client",
            signer_relationship="self",
            informed=True,
            status=ConsentStatus.ACTIVE,
            **extra,
        )

    return make


@pytest.fixture
def ana_consent(make_consent, ana: Client, safehouse: Agency) -> Consent:  # type: ignore[no-untyped-def]
    return make_consent(ana, safehouse)


def revoke(consent: Consent) -> None:
    Consent.objects.filter(pk=consent.pk).update(
        status=ConsentStatus.REVOKED, revoked_at=timezone.now()
    )


def referral_body(client: Client, recipient: Agency, consent: Consent, **extra: Any) -> dict:
    body = {
        "client_id": str(client.id),
        "recipient_agency_id": str(recipient.id),
        "consent_id": str(consent.id),
        "service_type": "shelter",
        "priority": "urgent",
        "reason": SECRET_REASON,
    }
    body.update(extra)
    return body


@pytest.fixture
def send(api, alice, ana, safehouse, ana_consent):  # type: ignore[no-untyped-def]
    """`send(**overrides)` -> the JSON of a referral alice sent to Safe Harbor Housing."""

    def make(**extra: Any) -> dict:
        response = api(alice).post(
            "/api/v1/referrals", referral_body(ana, safehouse, ana_consent, **extra), format="json"
        )
        assert response.status_code == 201, response.content
        return response.json()

    return make


@pytest.fixture
def referral(send) -> dict:  # type: ignore[no-untyped-def]
    return send()
