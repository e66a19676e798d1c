"""The naming convention at runtime (issue 15): the old names are refused, not ignored; the
same rule answers the same code on every resource; the ids sit beside their nested names."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from referrals.models import Referral
from tests.referrals.conftest import referral_body


def _grant(recipient_agency_id: str) -> dict[str, Any]:
    return {
        "recipient_agency_id": recipient_agency_id,
        "categories": ["identity"],
        "purpose": "housing",
        "expires_at": (timezone.now() + timedelta(days=90)).isoformat(),
        "method": "written",
        "signed_by": "client",
        "informed": True,
    }


OLD_NAMES = [
    ("client", "client_id"),
    ("recipient_agency", "recipient_agency_id"),
    ("consent", "consent_id"),
    ("program", "program_id"),
]


@pytest.mark.parametrize(("old", "new"), OLD_NAMES)
def test_referral_create_refuses_the_old_field_names(
    api, alice, ana, safehouse, ana_consent, old, new
):
    body = referral_body(ana, safehouse, ana_consent)
    body[old] = body.pop(new, str(safehouse.programs.get().id))
    response = api(alice).post("/api/v1/referrals", body, format="json")
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert any({"field": old, "code": "unknown_field"}.items() <= e.items() for e in errors)
    assert not Referral.objects.exists()


def test_assign_takes_assignee_id_only(api, safehouse, dave, referral):
    from tests.factories import UserFactory

    sue = UserFactory(username="sue", agency=safehouse, role="supervisor")
    url = f"/api/v1/referrals/{referral['id']}/assign"
    old = api(sue).post(url, {"assignee": str(dave.id)}, format="json")
    assert old.status_code == 400
    assert {"field": "assignee", "code": "unknown_field"} in [
        {"field": e["field"], "code": e["code"]} for e in old.json()["errors"]
    ]
    new = api(sue).post(url, {"assignee_id": str(dave.id)}, format="json")
    assert new.status_code == 200 and new.json()["assignee_id"] == str(dave.id)


def test_the_other_recipient_rule_has_one_code_on_consents_and_referrals(
    api, alice, ana, eastside, safehouse, ana_consent
):
    """Same rule (the recipient must be another active agency), same code, same field."""
    own = str(eastside.id)
    consent = api(alice).post(f"/api/v1/clients/{ana.id}/consents", _grant(own), format="json")
    referral = api(alice).post(
        "/api/v1/referrals",
        {**referral_body(ana, safehouse, ana_consent), "recipient_agency_id": own},
        format="json",
    )
    answers = [
        (r.status_code, r.json()["code"], r.json()["errors"][0]["field"])
        for r in (consent, referral)
    ]
    assert answers == [(400, "invalid_recipient", "recipient_agency_id")] * 2


def test_an_erased_client_is_client_erased_on_consents_and_referrals(
    api, alice, sam, ana, safehouse, ana_consent
):
    erased = api(sam).post(f"/api/v1/clients/{ana.id}/erase", {"confirm": True}, format="json")
    assert erased.status_code == 200, erased.content
    consent = api(alice).post(
        f"/api/v1/clients/{ana.id}/consents", _grant(str(safehouse.id)), format="json"
    )
    referral = api(alice).post(
        "/api/v1/referrals", referral_body(ana, safehouse, ana_consent), format="json"
    )
    assert [(r.status_code, r.json()["code"]) for r in (consent, referral)] == [
        (410, "client_erased")
    ] * 2
    denied = AuditEvent.objects.get(action="referral.create", outcome="deny")
    assert denied.reason == "client_erased"


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/programs?agency=00000000-0000-0000-0000-000000000000",
        "/api/v1/referrals?client=00000000-0000-0000-0000-000000000000",
    ],
)
def test_an_unknown_filter_is_400_not_silently_ignored(api, alice, url):
    response = api(alice).get(url)
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["code"] == "unknown_field"


def test_audit_filters_are_named_with_id(api, erin):
    assert api(erin).get("/api/v1/audit/events?client=x").status_code == 400
    assert api(erin).get("/api/v1/audit/events?actor_id=x&page_size=2").status_code == 200


def test_ids_sit_beside_their_nested_names(api, alice, dave, ana, safehouse, eastside, send):
    sent = send()
    assert (sent["recipient_agency_id"], sent["recipient_agency"]["id"]) == (
        str(safehouse.id),
        str(safehouse.id),
    )
    assert sent["sender_agency_id"] == str(eastside.id) and sent["program_id"] is None
    [item] = api(dave).get("/api/v1/referrals").json()["results"]
    assert item["other_agency_id"] == item["other_agency"]["id"] == str(eastside.id)
    me = api(alice).get("/api/v1/me").json()
    assert me["agency_id"] == me["agency"]["id"] == str(eastside.id)


def test_a_consent_has_one_status_and_a_nested_recipient(api, alice, ana, ana_consent):
    body = api(alice).get(f"/api/v1/consents/{ana_consent.id}").json()
    assert "state" not in body and "recipient_agency_name" not in body
    assert body["status"] == "active" and body["in_effect"] is True
    assert body["recipient_agency"] == {
        "id": body["recipient_agency_id"],
        "name": "Safe Harbor Housing",
    }
