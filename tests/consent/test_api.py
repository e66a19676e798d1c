"""The consent API: grant, refuse, list, read, revoke; tenancy, roles and problem+json."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from consent.models import Consent, ConsentStatusChange
from consent.policy import decide

SECRET = "shelter bed away from her partner"


def url(person) -> str:  # type: ignore[no-untyped-def]
    return f"/api/v1/clients/{person.id}/consents"


def grant(api, who, person, body):  # type: ignore[no-untyped-def]
    response = api(who).post(url(person), body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def decided(data):  # type: ignore[no-untyped-def]
    """The decision for the consent recorded by `data` (an API answer)."""
    return decide(consent=Consent.objects.get(pk=data["id"]))


def test_caseworker_grants_consent(api, alice, person, safehouse, grant_body):
    data = grant(api, alice, person, grant_body())
    assert data["status"] == "active" and data["in_effect"] is True
    assert data["recipient_agency_id"] == str(safehouse.id)
    assert data["categories"] == ["contact", "identity"]
    assert data["signer_relationship"] == "self"
    assert data["purpose_detail"].endswith(SECRET)
    assert [h["to_status"] for h in data["history"]] == ["active"]
    row = Consent.objects.get(pk=data["id"])
    assert SECRET.encode() not in bytes(row.purpose_detail_sealed)
    event = AuditEvent.objects.get(action="consent.grant")
    assert event.consent_id == row.pk and event.target_agency_id == safehouse.id
    assert event.purpose == "housing" and event.categories == ["contact", "identity"]
    assert event.subject_ref and str(person.id) not in bytes(event.canonical).decode()
    assert SECRET not in bytes(event.canonical).decode()
    assert decided(data).categories == {"identity", "contact"}


def test_anonymous_gets_401_everywhere(anon, person):
    some = "00000000-0000-0000-0000-000000000000"
    assert anon.get(url(person)).status_code == 401
    assert anon.post(url(person), {}, format="json").status_code == 401
    assert anon.get(f"/api/v1/consents/{some}").status_code == 401
    assert anon.post(f"/api/v1/consents/{some}/revoke", {}, format="json").status_code == 401


def test_roles_without_client_access_get_403(api, alice, erin, adam, person, grant_body):
    consent = grant(api, alice, person, grant_body())
    assert api(erin).post(url(person), grant_body(), format="json").status_code == 403
    assert api(adam).get(url(person)).status_code == 403
    assert api(erin).get(f"/api/v1/consents/{consent['id']}").status_code == 403
    revoke = api(adam).post(
        f"/api/v1/consents/{consent['id']}/revoke", {"reason": "x"}, format="json"
    )
    assert revoke.status_code == 403


def test_other_agency_gets_404(api, alice, carol, person, grant_body):
    consent = grant(api, alice, person, grant_body())
    assert api(carol).post(url(person), grant_body(), format="json").status_code == 404
    assert api(carol).get(url(person)).status_code == 404
    assert api(carol).get(f"/api/v1/consents/{consent['id']}").status_code == 404
    revoke = api(carol).post(
        f"/api/v1/consents/{consent['id']}/revoke", {"reason": "x"}, format="json"
    )
    assert revoke.status_code == 404
    assert Consent.objects.get(pk=consent["id"]).status == "active"
    assert AuditEvent.objects.filter(action="authz.denied", outcome="deny").count() >= 4


def test_integrations_need_the_right_scope(
    api, make_integration, eastside, harbor, person, grant_body
):
    writer = make_integration(eastside, scopes=["consent:write"])
    reader = make_integration(eastside, scopes=["clients:read"])
    foreign = make_integration(harbor, scopes=["consent:write", "clients:read"])
    body = grant_body()
    first = api(writer).post(url(person), body, format="json", HTTP_IDEMPOTENCY_KEY="w-1")
    again = api(writer).post(url(person), body, format="json", HTTP_IDEMPOTENCY_KEY="w-1")
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert api(writer).get(f"/api/v1/consents/{first.json()['id']}").status_code == 200
    assert api(reader).post(url(person), grant_body(), format="json").status_code == 403
    assert api(reader).get(url(person)).json()["results"][0]["status"] == "active"
    assert api(foreign).post(url(person), grant_body(), format="json").status_code == 404
    assert api(foreign).get(url(person)).status_code == 404


@pytest.mark.parametrize(
    ("over", "code", "field"),
    [
        (
            {"categories": ["identity", "health"]},
            "special_categories_not_acknowledged",
            "special_categories_acknowledged",
        ),
        ({"recipient_agency_id": "own"}, "invalid_recipient", "recipient_agency_id"),
        (
            {"recipient_agency_id": "00000000-0000-0000-0000-000000000000"},
            "invalid_recipient",
            "recipient_agency_id",
        ),
        ({"signed_by": "representative"}, "invalid_signer", "signer_relationship"),
        ({"signer_relationship": "parent"}, "invalid_signer", "signer_relationship"),
        ({"expires_at": None}, "required", "expires_at"),
        ({"valid_from": "long_ago", "expires_at": "past"}, "already_expired", "expires_at"),
        ({"expires_at": "too_long"}, "consent_too_long", "expires_at"),
        ({"valid_from": "after_expiry"}, "invalid_period", "expires_at"),
        ({"informed": False}, "consent_not_informed", "informed"),
        ({"evidence_sha256": "abc"}, "validation_error", "evidence_sha256"),
        ({"categories": ["identity", "shoe_size"]}, "validation_error", "categories.1"),
        ({"purpose": "marketing"}, "validation_error", "purpose"),
        ({"signer_name": "Ana"}, "validation_error", "signer_name"),
    ],
)
def test_invalid_grants_are_problems(api, alice, person, eastside, grant_body, over, code, field):
    now = timezone.now()
    special = {
        "own": str(eastside.id),
        "past": (now - timedelta(minutes=1)).isoformat(),
        "long_ago": (now - timedelta(days=10)).isoformat(),
        "too_long": (now + timedelta(days=366)).isoformat(),
        "after_expiry": (now + timedelta(days=91)).isoformat(),
    }
    body = grant_body(
        **{k: special.get(v, v) if isinstance(v, str) else v for k, v in over.items()}
    )
    if over == {"expires_at": None}:
        body.pop("expires_at", None)
    response = api(alice).post(url(person), body, format="json")
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == code
    assert field in [e["field"] for e in problem["errors"]]
    assert SECRET not in response.content.decode()
    assert not Consent.objects.exists()


def test_special_categories_with_acknowledgement(api, alice, person, safehouse, grant_body):
    body = grant_body(categories=["identity", "immigration"], special_categories_acknowledged=True)
    assert decided(grant(api, alice, person, body)).permits("immigration")


def test_a_recorded_refusal_never_blocks_other_work(api, alice, person, safehouse, grant_body):
    refused = grant(
        api, alice, person, grant_body(status="refused", expires_at=None, informed=None)
    )
    assert refused["status"] == "refused" and refused["in_effect"] is False
    assert refused["expires_at"] is None
    assert AuditEvent.objects.filter(action="consent.refuse", consent_id=refused["id"]).exists()
    assert decided(refused).reason == "refused"
    other = grant(api, alice, person, grant_body(categories=["contact"]))
    assert decided(other).categories == {"contact"}


def test_revoke_stops_disclosure_and_is_audited(api, alice, person, safehouse, grant_body):
    consent = grant(api, alice, person, grant_body())
    revoke_url = f"/api/v1/consents/{consent['id']}/revoke"
    response = api(alice).post(revoke_url, {"reason": "Client asked; moving away"}, format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "revoked" and data["in_effect"] is False
    assert data["revoke_reason"] == "Client asked; moving away"
    assert [h["to_status"] for h in data["history"]] == ["active", "revoked"]
    assert decided(consent).reason == "revoked"
    event = AuditEvent.objects.get(action="consent.revoke")
    assert "moving away" not in bytes(event.canonical).decode()
    again = api(alice).post(revoke_url, {"reason": "again"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "illegal_transition"
    missing = api(alice).post(f"/api/v1/consents/{consent['id']}/revoke", {}, format="json")
    assert missing.status_code == 400


def test_expiry_takes_effect_by_time_alone_in_the_api(api, alice, person, grant_body):
    consent = grant(api, alice, person, grant_body())
    later = timezone.now() + timedelta(days=90, seconds=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        data = api(alice).get(f"/api/v1/consents/{consent['id']}").json()
        expired = api(alice).get(url(person), {"status": "expired"}).json()["results"]
    assert data["status"] == "expired" and data["in_effect"] is False
    assert "state" not in data  # one of status/state (issue 15): `status` and `in_effect`
    assert [c["id"] for c in expired] == [consent["id"]]
    assert Consent.objects.get(pk=consent["id"]).status == "active"  # nothing recorded yet


def test_list_is_cursor_paginated_and_filtered(
    api, alice, person, harbor, grant_body, django_assert_max_num_queries
):
    for _ in range(3):
        grant(api, alice, person, grant_body())
    grant(api, alice, person, grant_body(recipient_agency_id=str(harbor.id)))
    client = api(alice)
    with django_assert_max_num_queries(8):
        page = client.get(url(person), {"page_size": 2}).json()
    assert len(page["results"]) == 2 and page["next"]
    assert "purpose_detail" not in page["results"][0]
    rest = client.get(page["next"]).json()
    assert len(rest["results"]) == 2 and rest["next"] is None
    only = client.get(url(person), {"recipient_agency_id": str(harbor.id)}).json()["results"]
    assert [c["recipient_agency_id"] for c in only] == [str(harbor.id)]
    bad = client.get(url(person), {"status": "paused"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "status"


def test_idempotent_grant_replays_without_a_duplicate(api, alice, person, grant_body):
    client = api(alice)
    body = grant_body()
    first = client.post(url(person), body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    second = client.post(url(person), body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert second.json()["id"] == first.json()["id"]
    assert second.json()["purpose_detail"] == first.json()["purpose_detail"]
    assert Consent.objects.count() == 1
    assert ConsentStatusChange.objects.count() == 1


def test_every_rule_that_fails_comes_back_at_once(api, alice, person, grant_body):
    """A 5-year, uninformed grant of health data without the acknowledgement: three reasons,
    one response (not three round trips)."""
    body = grant_body(
        expires_at=(timezone.now() + timedelta(days=5 * 365)).isoformat(),
        informed=False,
        categories=["identity", "health"],
    )
    response = api(alice).post(url(person), body, format="json")
    assert response.status_code == 400, response.content
    problem = response.json()
    assert problem["code"] == "validation_error"
    assert {(e["field"], e["code"]) for e in problem["errors"]} == {
        ("expires_at", "consent_too_long"),
        ("informed", "consent_not_informed"),
        ("special_categories_acknowledged", "special_categories_not_acknowledged"),
    }
    assert not Consent.objects.exists()


def test_a_past_expiry_is_already_expired(api, alice, person, grant_body):
    body = grant_body(expires_at=(timezone.now() - timedelta(days=1)).isoformat())
    response = api(alice).post(url(person), body, format="json")
    assert response.status_code == 400 and response.json()["code"] == "already_expired"
