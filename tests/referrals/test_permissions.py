"""Permission trio on every referral endpoint: anonymous 401, wrong role 403, other agency 404."""

from __future__ import annotations

import pytest

ENDPOINTS = [
    ("get", "/api/v1/referrals/{id}", None),
    ("get", "/api/v1/referrals/{id}/fhir", None),
    ("get", "/api/v1/referrals/{id}/messages", None),
    ("post", "/api/v1/referrals/{id}/messages", {"body": "hello"}),
    ("post", "/api/v1/referrals/{id}/transitions", {"to": "cancelled", "reason": "x"}),
    ("post", "/api/v1/referrals/{id}/assign", {"assignee_id": "{assignee}"}),
]


def _call(client, method, path, body, referral, assignee):  # type: ignore[no-untyped-def]
    url = path.format(id=referral["id"])
    if body and "assignee_id" in body:
        body = {"assignee_id": str(assignee.id)}
    return getattr(client, method)(url, body, format="json")


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_anonymous_gets_401(anon, referral, dave, method, path, body):
    assert _call(anon, method, path, body, referral, dave).status_code == 401


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_agency_admins_and_compliance_officers_get_403(
    api, adam, erin, referral, dave, method, path, body
):
    for who in (adam, erin):
        response = _call(api(who), method, path, body, referral, dave)
        assert response.status_code == 403, (who.username, response.content)


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_another_agency_gets_404(api, vic, referral, dave, method, path, body):
    vic.role = "supervisor"
    vic.save(update_fields=["role"])
    assert _call(api(vic), method, path, body, referral, dave).status_code == 404


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_integrations_without_the_scope_get_403(
    api, make_integration, safehouse, referral, dave, method, path, body
):
    partner = make_integration(safehouse, scopes=["clients:read"])
    assert _call(api(partner), method, path, body, referral, dave).status_code == 403


def test_list_and_create_trio(api, anon, adam, alice, vic):
    assert anon.get("/api/v1/referrals").status_code == 401
    assert anon.post("/api/v1/referrals", {}, format="json").status_code == 401
    assert api(adam).get("/api/v1/referrals").status_code == 403
    assert api(adam).post("/api/v1/referrals", {}, format="json").status_code == 403
    assert api(vic).get("/api/v1/referrals").json()["results"] == []


def test_permitted_callers_get_2xx(api, alice, dave, referral):
    for who in (alice, dave):
        assert api(who).get(f"/api/v1/referrals/{referral['id']}").status_code == 200
        assert api(who).get(f"/api/v1/referrals/{referral['id']}/fhir").status_code == 200
        assert api(who).get(f"/api/v1/referrals/{referral['id']}/messages").status_code == 200
