"""Subscriptions over the API: who may manage them, validation, secrets, audit, tenancy."""

from __future__ import annotations

import base64

import pytest

from audit.models import AuditEvent
from webhooks.models import Subscription
from webhooks.signing import secret_decrypt

pytestmark = pytest.mark.django_db
URL = "/api/v1/webhooks"
BODY = {"url": "https://93.184.216.34/hooks", "event_types": ["referral.requested"]}


def _create(client, **body):
    return client.post(URL, {**BODY, **body}, format="json")


def test_anonymous_is_401(anon):
    assert anon.get(URL).status_code == 401
    assert anon.post(URL, BODY, format="json").status_code == 401


@pytest.mark.parametrize("persona", ["alice", "sam", "erin"])
def test_case_and_compliance_roles_are_403(request, api, persona):
    client = api(request.getfixturevalue(persona))
    assert client.get(URL).status_code == 403
    assert _create(client).status_code == 403


def test_integrations_need_the_webhooks_scope(api, eastside, make_integration):
    without = make_integration(eastside, scopes=["referrals:read"])
    assert api(without).get(URL).status_code == 403
    partner = make_integration(eastside, scopes=["webhooks:write"])
    response = _create(api(partner))
    assert response.status_code == 201
    assert Subscription.objects.get().agency_id == eastside.id


def test_an_agency_admin_creates_a_subscription_and_sees_the_secret_once(api, adam, eastside):
    client = api(adam)
    response = _create(client, event_types=["referral.requested", "consent.revoked"])
    assert response.status_code == 201, response.json()
    body = response.json()
    secret = body["secret"]
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    listed = client.get(URL).json()["results"]
    assert [s["id"] for s in listed] == [body["id"]] and "secret" not in listed[0]
    detail = client.get(f"{URL}/{body['id']}").json()
    assert "secret" not in detail and detail["event_types"] == [
        "consent.revoked",
        "referral.requested",
    ]
    sub = Subscription.objects.get()
    assert secret.encode() not in bytes(sub.secret_ciphertext)  # encrypted at rest
    assert (
        secret_decrypt(
            sub.secret_key_id, sub.secret_ciphertext, subscription_id=sub.id, agency_id=eastside.id
        )
        == secret
    )
    assert AuditEvent.objects.filter(action="webhook.create", object_id=str(sub.id)).exists()


def test_the_secret_does_not_decrypt_for_another_row(adam, api, harbor):
    from core.errors import IntegrityFailure

    _create(api(adam))
    sub = Subscription.objects.get()
    with pytest.raises(IntegrityFailure):
        secret_decrypt(
            sub.secret_key_id, sub.secret_ciphertext, subscription_id=sub.id, agency_id=harbor.id
        )


def test_an_idempotent_replay_returns_the_subscription_without_the_secret(api, adam):
    client = api(adam)
    first = client.post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    again = client.post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"] and again.json()["secret"] is None
    assert Subscription.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"event_types": ["client.created"]}, "event_types"),
        ({"event_types": []}, "event_types"),
        ({"url": "not a url"}, "url"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_invalid_input_is_a_problem_400(api, adam, body, field):
    response = _create(api(adam), **body)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert field in str(response.json())


def test_update_rotate_and_delete_are_audited(api, adam):
    client = api(adam)
    created = _create(client).json()
    path = f"{URL}/{created['id']}"
    patched = client.patch(path, {"active": False, "event_types": ["*"]}, format="json")
    assert patched.status_code == 200 and patched.json()["active"] is False
    rotated = client.post(f"{path}/rotate-secret")
    assert rotated.status_code == 200 and rotated.json()["secret"] not in (None, created["secret"])
    assert client.delete(path).status_code == 204
    assert client.get(path).status_code == 404
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "webhook.create",
        "webhook.update",
        "webhook.rotate_secret",
        "webhook.delete",
    } <= actions


def test_another_agency_gets_404_everywhere(api, adam, harbor, make_integration):
    created = _create(api(adam)).json()
    other = api(make_integration(harbor, scopes=["webhooks:write"]))
    path = f"{URL}/{created['id']}"
    assert other.get(path).status_code == 404
    assert other.patch(path, {"active": False}, format="json").status_code == 404
    assert other.delete(path).status_code == 404
    assert other.post(f"{path}/rotate-secret").status_code == 404
    assert other.get(f"{path}/deliveries").status_code == 404
    assert other.get(URL).json()["results"] == []
    assert Subscription.objects.get().active is True


def test_https_is_required_without_the_private_override(settings, api, adam):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    response = _create(api(adam), url="http://93.184.216.34/hooks")
    assert response.status_code == 400 and response.json()["code"] == "webhook_url_refused"
    assert _create(api(adam)).status_code == 201


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hooks",
        "https://localhost/hooks",
        "https://10.1.2.3/hooks",
        "https://192.168.0.10/hooks",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hooks",
        "https://[::ffff:127.0.0.1]/hooks",
        "https://100.64.0.1/hooks",
        "https://0.0.0.0/hooks",
        "https://user:pw@93.184.216.34/hooks",
    ],
)
def test_private_and_reserved_destinations_are_refused(settings, api, adam, url):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    response = _create(api(adam), url=url)
    assert response.status_code == 400 and response.json()["code"] == "webhook_url_refused"
    assert "127.0.0.1" not in response.json()["detail"]
    assert Subscription.objects.count() == 0


def test_detail_and_rotate_permission_trio(api, anon, alice, adam):
    created = _create(api(adam)).json()
    path = f"{URL}/{created['id']}"
    for method, url in (
        ("get", path),
        ("patch", path),
        ("delete", path),
        ("post", f"{path}/rotate-secret"),
    ):
        assert getattr(anon, method)(url).status_code == 401
        assert getattr(api(alice), method)(url).status_code == 403
    assert api(adam).get(path).status_code == 200


def test_the_list_costs_a_fixed_number_of_queries(api, adam):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api(adam)
    _create(client)
    with CaptureQueriesContext(connection) as one:
        client.get(URL)
    for _ in range(4):
        _create(client)
    with CaptureQueriesContext(connection) as five:
        assert len(client.get(URL).json()["results"]) == 5
    assert len(five) == len(one) <= 5


def test_the_selectors_and_services_gate_without_the_view(adam, alice, subscribe):
    """Called directly (a console view, a script), a caseworker of the same agency is refused."""
    from core.errors import NotFound, PermissionDenied
    from tests.conftest import actor
    from webhooks import selectors, services

    sub = subscribe(adam)
    manager, caseworker = actor(adam), actor(alice)
    assert list(selectors.subscription_qs_for(actor=manager)) == [sub]
    assert not selectors.subscription_qs_for(actor=caseworker).exists()
    with pytest.raises(NotFound):
        selectors.subscription_get_for(actor=caseworker, subscription_id=sub.id)
    assert not selectors.delivery_qs_for(actor=caseworker, subscription=sub).exists()
    with pytest.raises(PermissionDenied):
        services.subscription_update(actor=caseworker, subscription=sub, active=False)
    with pytest.raises(PermissionDenied):
        services.subscription_create(actor=caseworker, url=BODY["url"], event_types=["*"])
    assert Subscription.objects.get(pk=sub.pk).active is True
