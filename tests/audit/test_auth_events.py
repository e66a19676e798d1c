"""The foundation's sign-in paths write their audit events."""

from __future__ import annotations

import pytest
from django.db import transaction

from accounts.integrations import integration_create
from accounts.signin import login_authenticate
from audit.models import AuditEvent
from core.actor import SYSTEM
from core.errors import AuthenticationFailed
from tests.conftest import PASSWORD

TOKEN = "/api/v1/auth/token"


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def test_a_successful_login_writes_auth_login(anon, alice):
    response = anon.post(TOKEN, {"username": "alice", "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    (event,) = _events("auth.login")
    assert event.actor_id == str(alice.id) and event.chain == str(alice.agency_id)
    assert event.outcome == "allow" and event.auth_method == "password"


def test_a_failed_login_writes_auth_failed(anon, alice):
    response = anon.post(TOKEN, {"username": "alice", "password": "wrong" * 4}, format="json")
    assert response.status_code == 401
    (event,) = _events("auth.failed")
    assert (event.outcome, event.reason, event.actor_id) == ("deny", "bad_password", str(alice.id))
    assert "wrong" not in bytes(event.canonical).decode()


def test_refresh_reuse_revokes_and_writes_auth_refresh_reuse(anon, alice):
    tokens = anon.post(TOKEN, {"username": "alice", "password": PASSWORD}, format="json").json()
    refresh = {"refresh": tokens["refresh"]}
    assert anon.post(f"{TOKEN}/refresh", refresh, format="json").status_code == 200
    assert anon.post(f"{TOKEN}/refresh", refresh, format="json").status_code == 401
    (event,) = _events("auth.refresh_reuse")
    assert (event.outcome, event.actor_id) == ("deny", str(alice.id))


def test_issuing_a_client_token_is_audited(anon, eastside):
    integration, secret = integration_create(
        actor=SYSTEM, agency=eastside, name="partner", scopes=["audit:read"]
    )
    body = {"client_id": integration.client_id, "client_secret": secret}
    assert anon.post("/api/v1/auth/client-token", body, format="json").status_code == 200
    (event,) = _events("auth.client_token")
    assert event.actor_kind == "integration" and event.actor_id == str(integration.id)
    assert _events("integration.create")[0].target_agency_id == eastside.id
    body["client_secret"] = "nope"
    assert anon.post("/api/v1/auth/client-token", body, format="json").status_code == 401
    assert _events("auth.failed")[0].reason == "bad_client_credentials"


@pytest.mark.postgres  # needs a second connection writing while the first is in a transaction
@pytest.mark.django_db(transaction=True, databases=["default", "audit"])
def test_auth_failed_survives_the_rollback_of_the_request(alice, settings):
    settings.AUDIT_INDEPENDENT_ALIAS = "audit"
    with pytest.raises(AuthenticationFailed), transaction.atomic():
        login_authenticate(username="alice", password="wrong-password", otp=None, ip="10.0.0.1")
    assert [e.reason for e in _events("auth.failed")] == ["bad_password"]
