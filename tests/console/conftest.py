"""Console tests: sign in through the real form, as the personas of tests/conftest.py."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from consent.services import ConsentTerms, consent_grant
from referrals.services import referral_create
from tests.conftest import PASSWORD, actor


def sign_in(user: User, **extra: str) -> Client:
    """A browser-like client (CSRF checks on) signed in through the console's own form."""
    browser = Client(enforce_csrf_checks=True)
    page = browser.get("/app/")
    token = page.cookies["csrftoken"].value
    response = browser.post(
        "/app/sign-in",
        {"username": user.username, "password": PASSWORD, "csrfmiddlewaretoken": token, **extra},
    )
    assert response.status_code == 302, response.content[:2000]
    browser.csrf = browser.cookies["csrftoken"].value  # type: ignore[attr-defined]
    return browser


def post(browser: Client, url: str, data: dict | None = None, **headers: str):  # type: ignore[no-untyped-def]
    """POST a form with the CSRF token the page would carry."""
    return browser.post(
        url, {"csrfmiddlewaretoken": browser.cookies["csrftoken"].value, **(data or {})}, **headers
    )


@pytest.fixture
def console() -> Callable[..., Client]:
    return sign_in


@pytest.fixture
def referral_to_harbor(eastside, harbor, alice, make_client):  # type: ignore[no-untyped-def]
    """alice (Eastside) refers Ana Canary to Harbor under consent for identity and contact."""
    client = make_client(
        eastside,
        given_name="Ana",
        family_name="Canary",
        phone="555-0100",
        risk_notes="CANARY-SAFETY",
    )
    consent = consent_grant(
        actor=actor(alice),
        client=client,
        terms=ConsentTerms(
            recipient_agency_id=harbor.id,
            categories=["identity", "contact"],
            purpose="case_coordination",
            method="written",
            signed_by="client",
            informed=True,
            expires_at=timezone.now() + timedelta(days=90),
        ),
    )
    return referral_create(
        actor=actor(alice),
        client_id=client.id,
        recipient_agency_id=harbor.id,
        consent_id=consent.id,
        service_type="case_management",
        reason="CANARY-REASON needs help",
        priority="urgent",
    )
