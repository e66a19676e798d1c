"""The capacity pre-check (no client data in, audited without subject) and the refusal of a
referral to a full program or one that does not offer the service type."""

from __future__ import annotations

import pytest

from agencies.models import Program
from audit.models import AuditEvent
from referrals.models import Referral
from tests.referrals.conftest import SECRET_REASON, referral_body
from webhooks.models import OutboxEvent


def _check(api, who, program, **body):  # type: ignore[no-untyped-def]
    return api(who).post(f"/api/v1/programs/{program.id}/availability", body, format="json")


@pytest.fixture
def shelter(safehouse) -> Program:  # type: ignore[no-untyped-def]
    program = safehouse.programs.get()
    Program.objects.filter(pk=program.pk).update(languages=["en", "es"], max_household_size=4)
    program.refresh_from_db()
    return program


def _set(program: Program, **fields) -> None:  # type: ignore[no-untyped-def]
    Program.objects.filter(pk=program.pk).update(**fields)


@pytest.mark.parametrize(
    ("fields", "body", "status", "codes"),
    [
        ({}, {"service_type": "shelter", "language": "es"}, "available", []),
        (
            {},
            {"service_type": "shelter", "language": "vi"},
            "assessment_required",
            ["language_not_listed"],
        ),
        ({}, {"service_type": "shelter", "household_size": 6}, "full", ["household_too_large"]),
        (
            {"capacity_status": "waitlist"},
            {"service_type": "shelter", "priority": "stat"},
            "waitlist",
            ["waitlist"],
        ),
        ({"capacity_status": "waitlist"}, {"service_type": "shelter"}, "waitlist", []),
        ({"capacity_status": "full"}, {"service_type": "shelter"}, "full", ["program_full"]),
        (
            {"accepting_referrals": False},
            {"service_type": "shelter"},
            "full",
            ["program_not_accepting"],
        ),
        ({}, {"service_type": "mental_health"}, "full", ["service_type_not_offered"]),
        (
            {"capacity_status": "assessment_required"},
            {"service_type": "shelter"},
            "assessment_required",
            [],
        ),
    ],
)
def test_the_pre_check_answers_with_its_reasons(api, carol, shelter, fields, body, status, codes):
    from django.utils import timezone

    _set(shelter, assured_at=timezone.now(), capacity_updated_at=timezone.now(), **fields)
    response = _check(api, carol, shelter, **body)
    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["status"] == status
    assert [r["code"] for r in answer["reasons"]] == codes
    assert answer["program"]["id"] == str(shelter.id)
    assert answer["agency"]["name"] == "Safe Harbor Housing"


def test_stale_capacity_is_flagged(api, carol, shelter):
    _set(shelter, capacity_updated_at=None, assured_at=None)
    answer = _check(api, carol, shelter, service_type="shelter").json()
    assert answer["status"] == "available"
    assert [r["code"] for r in answer["reasons"]] == ["capacity_stale", "entry_unconfirmed"]


@pytest.mark.parametrize(
    "identifier",
    [
        {"given_name": "Ana"},
        {"family_name": "Canary"},
        {"date_of_birth": "1990-01-01"},
        {"client": "3f1c7d2e-0000-4000-8000-000000000000"},
        {"phone": "555-0100-canary"},
        {"client_id": "3f1c7d2e-0000-4000-8000-000000000000"},
        {"notes": "Ana needs a bed"},
    ],
)
def test_the_pre_check_refuses_client_identifiers(api, carol, shelter, identifier):
    response = _check(api, carol, shelter, service_type="shelter", **identifier)
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["code"] == "unknown_field" and error["field"] == next(iter(identifier))
    text = response.content.decode()
    assert not [v for v in identifier.values() if v in text]  # the value is never echoed
    assert not AuditEvent.objects.filter(action="program.availability").exists()


def test_a_name_cannot_ride_in_the_language_field(api, carol, shelter):
    response = _check(api, carol, shelter, service_type="shelter", language="Ana Canary")
    assert response.status_code == 400
    assert "Ana Canary" not in response.content.decode()


def test_the_pre_check_is_audited_without_a_subject(api, carol, shelter):
    _check(api, carol, shelter, service_type="shelter", language="es", household_size=3)
    event = AuditEvent.objects.get(action="program.availability")
    assert event.subject_ref == "" and event.categories == [] and event.consent_id is None
    assert (event.object_id, event.reason) == (str(shelter.id), "available")
    assert event.target_agency_id == shelter.agency_id
    assert b"household" not in event.canonical and b'"es"' not in event.canonical  # no query


def test_who_may_pre_check(api, adam, erin, make_integration, eastside, shelter):
    assert _check(api, adam, shelter, service_type="shelter").status_code == 403
    assert _check(api, erin, shelter, service_type="shelter").status_code == 403
    sender = make_integration(eastside, scopes=["referrals:write"])
    assert _check(api, sender, shelter, service_type="shelter").status_code == 200


def test_an_unknown_program_is_404(api, carol):
    import uuid

    response = api(carol).post(
        f"/api/v1/programs/{uuid.uuid4()}/availability", {"service_type": "shelter"}, format="json"
    )
    assert response.status_code == 404


# --- referral create ---------------------------------------------------------------------------
def _send(api, alice, ana, safehouse, consent, program, **extra):  # type: ignore[no-untyped-def]
    body = referral_body(ana, safehouse, consent, program_id=str(program.id), **extra)
    return api(alice).post("/api/v1/referrals", body, format="json")


@pytest.mark.parametrize(
    ("fields", "extra", "code"),
    [
        ({"capacity_status": "full"}, {}, "program_full"),
        ({"accepting_referrals": False}, {}, "program_not_accepting"),
        ({}, {"service_type": "transitional_housing"}, "service_type_not_offered"),
    ],
)
def test_a_referral_the_program_cannot_take_is_refused(
    api, alice, ana, safehouse, ana_consent, shelter, fields, extra, code
):
    _set(shelter, **fields)
    response = _send(api, alice, ana, safehouse, ana_consent, shelter, **extra)
    assert response.status_code == 409, response.content
    body = response.json()
    assert body["code"] == code and body["program_id"] == str(shelter.id)
    assert SECRET_REASON not in response.content.decode()
    assert not Referral.objects.exists()
    assert not OutboxEvent.objects.filter(type="referral.requested").exists()


def test_a_program_with_room_takes_the_referral(api, alice, ana, safehouse, ana_consent, shelter):
    _set(shelter, capacity_status="waitlist")
    response = _send(api, alice, ana, safehouse, ana_consent, shelter)
    assert response.status_code == 201 and response.json()["program"]["id"] == str(shelter.id)


def test_a_draft_may_wait_but_sending_it_to_a_full_program_is_refused(
    api, alice, ana, safehouse, ana_consent, shelter
):
    _set(shelter, capacity_status="full")
    draft = _send(api, alice, ana, safehouse, ana_consent, shelter, draft=True)
    assert draft.status_code == 201
    rid = draft.json()["id"]
    sent = api(alice).post(
        f"/api/v1/referrals/{rid}/transitions", {"to": "requested"}, format="json"
    )
    assert sent.status_code == 409 and sent.json()["code"] == "program_full"
    assert Referral.objects.get(pk=rid).status == "draft"
    denied = AuditEvent.objects.get(action="referral.transition", outcome="deny")
    assert denied.reason == "program_full"
    _set(shelter, capacity_status="available")
    again = api(alice).post(
        f"/api/v1/referrals/{rid}/transitions", {"to": "requested"}, format="json"
    )
    assert again.status_code == 200 and again.json()["status"] == "requested"
