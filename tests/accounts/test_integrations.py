"""Integrations an agency admin runs: create (secret once), rotate with a grace period, revoke
(issue 14, Deliver 2)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Integration
from audit.models import AuditEvent
from tests.conftest import client_for

LIST = "/api/v1/staff/integrations"


def _token(client_id: str, secret: str) -> int:
    body = {"client_id": client_id, "client_secret": secret}
    return APIClient().post("/api/v1/auth/client-token", body, format="json").status_code


def _create(admin) -> dict:  # type: ignore[no-untyped-def]
    response = client_for(admin).post(
        LIST, {"name": "Eastside CMS", "scopes": ["referrals:read"]}, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_an_admin_creates_an_integration_and_sees_the_secret_once(adam, carol):
    made = _create(adam)
    assert made["client_secret"].startswith("rhs_") and made["scopes"] == ["referrals:read"]
    stored = Integration.objects.get(pk=made["id"])
    assert stored.agency_id == adam.agency_id and made["client_secret"] not in stored.secret_hash
    listed = client_for(adam).get(LIST).json()["results"]
    assert [i["id"] for i in listed] == [made["id"]] and "client_secret" not in listed[0]
    assert _token(made["client_id"], made["client_secret"]) == 200
    assert AuditEvent.objects.get(action="integration.create").reason == "referrals:read"
    bad = client_for(adam).post(LIST, {"name": "x", "scopes": ["root:all"]}, format="json")
    assert bad.status_code == 400


def test_a_rotated_secret_works_during_the_grace_period_then_not(adam, settings, monkeypatch):
    settings.INTEGRATION_SECRET_GRACE_HOURS = 24
    made = _create(adam)
    rotated = client_for(adam).post(f"{LIST}/{made['id']}/rotate-secret")
    assert rotated.status_code == 200
    new, old = rotated.json()["client_secret"], made["client_secret"]
    assert new != old and rotated.json()["previous_secret_expires_at"]
    assert (_token(made["client_id"], old), _token(made["client_id"], new)) == (200, 200)
    later = timezone.now() + timedelta(hours=24, seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)  # the clock, past the grace period
    assert (_token(made["client_id"], old), _token(made["client_id"], new)) == (401, 200)
    actions = AuditEvent.objects.filter(object_id=made["id"]).values_list("action", "reason")
    assert ("auth.client_token", "previous_secret") in set(actions)
    assert ("integration.rotate_secret", "") in set(actions)


def test_revoking_an_integration_stops_it_at_once(adam, eastside, make_integration):
    made = _create(adam)
    access = (
        APIClient()
        .post(
            "/api/v1/auth/client-token",
            {"client_id": made["client_id"], "client_secret": made["client_secret"]},
            format="json",
        )
        .json()["access"]
    )
    partner = APIClient()
    partner.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    assert partner.get("/api/v1/referrals").status_code == 200
    revoked = client_for(adam).post(f"{LIST}/{made['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json()["is_active"] is False
    assert partner.get("/api/v1/referrals").status_code == 401  # the next request
    assert _token(made["client_id"], made["client_secret"]) == 401
    again = client_for(adam).post(f"{LIST}/{made['id']}/rotate-secret")
    assert again.status_code == 409 and again.json()["code"] == "integration_revoked"
    assert AuditEvent.objects.filter(action="integration.revoke").count() == 1


def test_another_agencys_admin_gets_404_and_a_caseworker_403(adam, alice, harbor):
    from accounts.models import User

    made = _create(adam)
    foreign = User.objects.create_user(
        username="hadmin", password="x" * 12, agency=harbor, role="agency_admin"
    )
    assert client_for(foreign).get(LIST).json()["results"] == []
    assert client_for(foreign).post(f"{LIST}/{made['id']}/rotate-secret").status_code == 404
    assert client_for(foreign).post(f"{LIST}/{made['id']}/revoke").status_code == 404
    assert client_for(alice).post(f"{LIST}/{made['id']}/revoke").status_code == 403
    assert _token(made["client_id"], made["client_secret"]) == 200
