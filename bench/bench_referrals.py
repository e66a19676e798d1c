"""Referral read and create against plain baselines, interleaved in the same run (in-process).

- recipient read: `GET /api/v1/referrals/{id}/` as the recipient: scope + consent decision +
  decrypting two categories and the reason + a `disclosure` audit event (chain lock, insert);
  baseline: `GET /api/v1/agencies/{id}/` (JWT-authenticated, nothing encrypted). Target >= 0.60.
- create: `POST /api/v1/referrals/` (client + recipient + consent checks, sealed reason,
  transition row, two outbox rows, audit); baseline: `POST .../programs/` by an agency admin
  (one insert + audit). Target >= 0.75, and the same pair again with an `Idempotency-Key`.
"""

from __future__ import annotations

import itertools
import json
from datetime import timedelta
from typing import Any

from bench.harness import interleaved, ready, row

READ_TARGET = ">= 0.60"  # issue 19 (aim 0.8)
CREATE_TARGET = ">= 0.75"  # issue 19 (aim 0.9), with and without Idempotency-Key


def _setup(prefix: str = "bench") -> dict[str, Any]:
    """Two agencies, a client with an active consent, and users; `prefix` keeps names unique
    when several bench modules set up in one database."""
    from django.utils import timezone

    from accounts.models import TokenFamily, User
    from agencies.models import Agency
    from api import tokens
    from clients.services import client_create
    from consent.models import Consent
    from core.actor import system_actor

    sender = Agency.objects.create(name=f"{prefix} Sender", kind="legal_clinic")
    recipient = Agency.objects.create(name=f"{prefix} Recipient", kind="housing")
    users: dict[str, User] = {}

    def bearer(username: str, agency: Agency, role: str) -> str:
        user = User.objects.create_user(
            username=f"{prefix}-{username}", password=None, agency=agency, role=role
        )
        users[username] = user
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
        "sender": bearer("sender", sender, "caseworker"),
        "recipient": bearer("recipient", recipient, "caseworker"),
        "admin": bearer("admin", sender, "agency_admin"),
        "users": users,
        "sender_agency": sender,
        "recipient_agency": recipient,
        "body": json.dumps(
            {
                "client": str(client.id),
                "recipient_agency": str(recipient.id),
                "consent": str(consent.id),
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

    keys = itertools.count()

    def plain_create(**headers: str) -> None:
        body = json.dumps({"name": f"Program {next(names)}", "service_type": "other"})
        response = http.post(
            programs_url,
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=s["admin"],
            **headers,
        )
        assert response.status_code == 201, response.content

    def referral_create(**headers: str) -> None:
        response = http.post(
            "/api/v1/referrals/",
            s["body"],
            content_type="application/json",
            HTTP_AUTHORIZATION=s["sender"],
            **headers,
        )
        assert response.status_code == 201, response.content

    def keyed(create: Any) -> Any:
        return lambda: create(HTTP_IDEMPOTENCY_KEY=f"bench-{next(keys)}")

    reads = interleaved({"plain": plain_read, "referral": referral_read})
    creates = interleaved(
        {
            "plain": plain_create,
            "referral": referral_create,
            "plain_key": keyed(plain_create),
            "referral_key": keyed(referral_create),
        }
    )
    rows = [
        row("Referrals", f"JWT agency detail read ({vendor})", reads["plain"], "req/s"),
        row(
            "Referrals",
            f"recipient referral read with disclosure audit ({vendor})",
            reads["referral"],
            "req/s",
            baseline="JWT agency detail read",
            ratio=reads["referral"] / reads["plain"],
            target=READ_TARGET,
        ),
        row("Referrals", f"program create by agency admin ({vendor})", creates["plain"], "req/s"),
        row(
            "Referrals",
            f"referral create ({vendor})",
            creates["referral"],
            "req/s",
            baseline="program create",
            ratio=creates["referral"] / creates["plain"],
            target=CREATE_TARGET,
        ),
        row(
            "Referrals",
            f"program create with Idempotency-Key ({vendor})",
            creates["plain_key"],
            "req/s",
        ),
        row(
            "Referrals",
            f"referral create with Idempotency-Key ({vendor})",
            creates["referral_key"],
            "req/s",
            baseline="program create with Idempotency-Key",
            ratio=creates["referral_key"] / creates["plain_key"],
            target=CREATE_TARGET,
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
