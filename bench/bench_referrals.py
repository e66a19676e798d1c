"""Referral read and create against plain baselines, interleaved in the same run (in-process).

- recipient read: `GET /api/v1/referrals/{id}/` as the recipient: scope + consent decision +
  decrypting two categories and the reason + a `disclosure` audit event (chain lock, insert);
  baseline: `GET /api/v1/agencies/{id}/` (JWT-authenticated, nothing encrypted). Target >= 50%.
- create: `POST /api/v1/referrals/` (client + recipient + consent checks, sealed reason,
  transition row, two outbox rows, audit); baseline: `POST .../programs/` by an agency admin
  (one insert + audit). Target >= 60%.
"""

from __future__ import annotations

import itertools
import json
from datetime import timedelta
from typing import Any

from bench.harness import interleaved, ready, row


def _setup() -> dict[str, Any]:
    from django.utils import timezone

    from accounts.models import TokenFamily, User
    from agencies.models import Agency
    from api import tokens
    from clients.services import client_create
    from consent.models import Consent
    from core.actor import system_actor

    sender = Agency.objects.create(name="Bench Sender", kind="legal_clinic")
    recipient = Agency.objects.create(name="Bench Recipient", kind="housing")

    def bearer(username: str, agency: Agency, role: str) -> str:
        user = User.objects.create_user(username=username, password=None, agency=agency, role=role)
        return f"Bearer {tokens.user_access(user, TokenFamily.objects.create(user=user))}"

    client = client_create(
        actor=system_actor("bench"),
        agency=sender,
        data={
            "identity": {
                "given_name": "Bench",
                "family_name": "Person",
                "date_of_birth": "1990-01-01",
            },
            "contact": {"phone": "555-0100", "email": "b@example.org"},
        },
    )
    now = timezone.now()
    consent = Consent.objects.create(
        client=client,
        agency=sender,
        recipient_agency=recipient,
        categories=["identity", "contact"],
        purpose="housing",
        valid_from=now - timedelta(minutes=1),
        expires_at=now + timedelta(days=30),
        method="written",
        signed_by="client",
        signer_relationship="self",
        informed=True,
        status="active",
    )
    return {
        "sender": bearer("bench-sender", sender, "caseworker"),
        "recipient": bearer("bench-recipient", recipient, "caseworker"),
        "admin": bearer("bench-admin", sender, "agency_admin"),
        "sender_agency": sender,
        "recipient_agency": recipient,
        "body": json.dumps(
            {
                "client_id": str(client.id),
                "recipient_agency_id": str(recipient.id),
                "consent_id": str(consent.id),
                "service_type": "transitional_housing",
                "priority": "routine",
                "reason": "Needs transitional housing within two weeks.",
            }
        ),
    }


def run() -> list[dict[str, Any]]:
    vendor = ready()
    from django.test import Client

    s = _setup()
    http = Client()
    created = http.post(
        "/api/v1/referrals/",
        s["body"],
        content_type="application/json",
        HTTP_AUTHORIZATION=s["sender"],
    )
    assert created.status_code == 201, created.content
    detail_url = f"/api/v1/referrals/{created.json()['id']}/"
    agency_url = f"/api/v1/agencies/{s['recipient_agency'].id}/"
    programs_url = f"/api/v1/agencies/{s['sender_agency'].id}/programs/"
    names = itertools.count()

    def plain_read() -> None:
        assert http.get(agency_url, HTTP_AUTHORIZATION=s["recipient"]).status_code == 200

    def referral_read() -> None:
        response = http.get(detail_url, HTTP_AUTHORIZATION=s["recipient"])
        assert response.status_code == 200 and "identity" in response.json()["client"]

    def plain_create() -> None:
        body = json.dumps({"name": f"Program {next(names)}", "service_type": "other"})
        response = http.post(
            programs_url, body, content_type="application/json", HTTP_AUTHORIZATION=s["admin"]
        )
        assert response.status_code == 201, response.content

    def referral_create() -> None:
        response = http.post(
            "/api/v1/referrals/",
            s["body"],
            content_type="application/json",
            HTTP_AUTHORIZATION=s["sender"],
        )
        assert response.status_code == 201

    reads = interleaved({"plain": plain_read, "referral": referral_read})
    creates = interleaved({"plain": plain_create, "referral": referral_create})
    rows = [
        row("Referrals", f"JWT agency detail read ({vendor})", reads["plain"], "req/s"),
        row(
            "Referrals",
            f"recipient referral read with disclosure audit ({vendor})",
            reads["referral"],
            "req/s",
            baseline="JWT agency detail read",
            ratio=reads["referral"] / reads["plain"],
            target=">= 0.50",
        ),
        row("Referrals", f"program create by agency admin ({vendor})", creates["plain"], "req/s"),
        row(
            "Referrals",
            f"referral create ({vendor})",
            creates["referral"],
            "req/s",
            baseline="program create",
            ratio=creates["referral"] / creates["plain"],
            target=">= 0.60",
        ),
    ]
    if vendor == "postgresql":
        rows.append(_without_fsync_wait(plain_read, referral_read))
    return rows


def _without_fsync_wait(plain_read: Any, referral_read: Any) -> dict[str, Any]:
    """Diagnostic only: the same pair with `synchronous_commit = off` for this session, to show
    how much of the read's cost is the disclosure audit's durable commit. Not a production mode.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    try:
        reads = interleaved({"plain": plain_read, "referral": referral_read})
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO on")
    return row(
        "Referrals",
        "diagnostic: recipient read, synchronous_commit=off (postgresql)",
        reads["referral"],
        "req/s",
        baseline="JWT agency detail read, same setting",
        ratio=reads["referral"] / reads["plain"],
        note="shows the share of the audit commit's WAL flush; not a production setting",
    )
