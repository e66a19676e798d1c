"""Creating referrals: consent required, recipients, programs, idempotency, deadlines."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import dateparse, timezone

from audit.models import AuditEvent
from referrals.models import Referral
from tests.referrals.conftest import referral_body, revoke
from webhooks.models import OutboxEvent


def _post(api, who, body, **headers):  # type: ignore[no-untyped-def]
    return api(who).post("/api/v1/referrals", body, format="json", **headers)


def test_it_creates_a_requested_referral_with_the_program_deadline(
    api, alice, ana, safehouse, ana_consent
):
    program = safehouse.programs.get()  # Emergency Shelter, response_days=3
    response = _post(
        api, alice, referral_body(ana, safehouse, ana_consent, program_id=str(program.id))
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "requested" and body["program"]["name"] == "Emergency Shelter"
    assert "reason" not in body and "client" not in body
    deadline = dateparse.parse_datetime(body["response_deadline"])
    assert abs(deadline - (timezone.now() + timedelta(days=3))) < timedelta(minutes=1)
    event = AuditEvent.objects.get(action="referral.create")
    assert event.consent_id == ana_consent.id and event.target_agency_id == safehouse.id


def test_the_default_deadline_comes_from_settings(
    api, alice, ana, safehouse, ana_consent, settings
):
    settings.REFERRAL_RESPONSE_DAYS = 7  # the routine window (each priority has its own)
    body = _post(api, alice, referral_body(ana, safehouse, ana_consent, priority="routine")).json()
    deadline = dateparse.parse_datetime(body["response_deadline"])
    assert abs(deadline - (timezone.now() + timedelta(days=7))) < timedelta(minutes=1)


def test_it_rejects_a_revoked_consent(api, alice, ana, safehouse, ana_consent):
    revoke(ana_consent)
    response = _post(api, alice, referral_body(ana, safehouse, ana_consent))
    assert response.status_code == 409 and response.json()["code"] == "consent_required"


def test_it_rejects_an_expired_consent(api, alice, ana, safehouse, ana_consent):
    from consent.models import Consent

    Consent.objects.filter(pk=ana_consent.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = _post(api, alice, referral_body(ana, safehouse, ana_consent))
    assert response.status_code == 409 and response.json()["code"] == "consent_required"


def test_it_rejects_a_consent_for_another_recipient(api, alice, ana, harbor, ana_consent):
    response = _post(api, alice, referral_body(ana, harbor, ana_consent))
    assert response.status_code == 409 and response.json()["code"] == "consent_required"


def test_it_rejects_a_consent_of_another_client(
    api, alice, ana, make_client, eastside, safehouse, make_consent
):
    other = make_client(eastside, given_name="Bea")
    consent = make_consent(other, safehouse)
    response = _post(api, alice, referral_body(ana, safehouse, consent))
    assert response.status_code == 409 and response.json()["code"] == "consent_required"


def test_it_rejects_another_agencys_client(api, carol, ana, safehouse, ana_consent):
    response = _post(api, carol, referral_body(ana, safehouse, ana_consent))
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "client_id"
    assert not Referral.objects.exists()


@pytest.mark.parametrize("case", ["self", "inactive", "unknown"])
def test_the_recipient_must_be_another_active_agency(
    api, alice, ana, eastside, safehouse, ana_consent, case
):
    import uuid

    if case == "inactive":
        safehouse.is_active = False
        safehouse.save(update_fields=["is_active"])
    target = {"self": eastside.id, "inactive": safehouse.id, "unknown": uuid.uuid4()}[case]
    body = {**referral_body(ana, safehouse, ana_consent), "recipient_agency_id": str(target)}
    response = _post(api, alice, body)
    assert response.status_code == 400
    problem = response.json()
    # One rule, one code, one field name: the same answer as recording a consent gives.
    assert (problem["code"], problem["errors"][0]["field"]) == (
        "invalid_recipient",
        "recipient_agency_id",
    )


def test_the_program_must_belong_to_the_recipient(
    api, alice, ana, eastside, safehouse, ana_consent
):
    program = eastside.programs.get()
    response = _post(
        api, alice, referral_body(ana, safehouse, ana_consent, program_id=str(program.id))
    )
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "program_id"


@pytest.mark.parametrize(
    "change",
    [
        {"service_type": "spa_day"},
        {"priority": "whenever"},
        {"reason": ""},
        {"extra": 1},
        {"client_id": "x"},
    ],
)
def test_invalid_input_is_a_problem_400(api, alice, ana, safehouse, ana_consent, change):
    response = _post(api, alice, {**referral_body(ana, safehouse, ana_consent), **change})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert "Ana" not in response.content.decode()


def test_a_retry_with_the_same_idempotency_key_returns_the_same_referral(
    api, alice, ana, safehouse, ana_consent
):
    body = referral_body(ana, safehouse, ana_consent)
    client = api(alice)
    first = client.post("/api/v1/referrals", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    second = client.post("/api/v1/referrals", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert second["Idempotent-Replayed"] == "true"
    assert Referral.objects.count() == 1
    assert OutboxEvent.objects.filter(type="referral.requested").count() == 2  # both agencies, once
    other = client.post(
        "/api/v1/referrals",
        {**body, "priority": "stat"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert other.status_code == 422


def test_the_idempotency_record_stores_no_survivor_values(api, alice, ana, safehouse, ana_consent):
    from core.models import IdempotencyRecord

    _post(api, alice, referral_body(ana, safehouse, ana_consent), HTTP_IDEMPOTENCY_KEY="k-2")
    record = IdempotencyRecord.objects.get()
    assert record.body is None and record.resource_id


def test_an_integration_with_referrals_write_can_send(
    api, make_integration, eastside, ana, safehouse, ana_consent
):
    partner = make_integration(eastside, scopes=["referrals:write"])
    response = _post(api, partner, referral_body(ana, safehouse, ana_consent))
    assert response.status_code == 201, response.content
    assert Referral.objects.get().sender_integration_id == partner.id
