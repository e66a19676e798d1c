"""Consent gates the recipient's read at read time; every disclosure is audited."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from audit.models import AuditEvent
from audit.pseudonym import subject_ref
from consent.models import Consent
from tests.referrals.conftest import ANA, SECRET_REASON, revoke


def _read(api, who, rid):  # type: ignore[no-untyped-def]
    response = api(who).get(f"/api/v1/referrals/{rid}")
    assert response.status_code == 200, response.content
    return response.json()


def test_a_recipient_read_writes_one_disclosure_event(
    api, dave, ana, ana_consent, referral, safehouse
):
    before = AuditEvent.objects.count()
    _read(api, dave, referral["id"])
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.get(action="disclosure")
    assert event.subject_ref == subject_ref(ana.id, agency_id=ana.agency_id)
    assert event.target_agency_id == safehouse.id
    assert (event.subject_agency_id, event.shared_agency_id) == (ana.agency_id, safehouse.id)
    assert event.categories == ["contact", "identity"]
    assert event.purpose == "housing"
    assert event.consent_id == ana_consent.id
    assert event.object_id == referral["id"]


def test_revocation_mid_flow_hides_client_fields_on_the_next_read(api, dave, ana_consent, referral):
    rid = referral["id"]
    api(dave).post(f"/api/v1/referrals/{rid}/transitions", {"to": "accepted"}, format="json")
    assert _read(api, dave, rid)["client"]["identity"]["given_name"] == "Ana"
    revoke(ana_consent)
    after = _read(api, dave, rid)
    assert after["status"] == "accepted"
    assert after["client"] == {"id": after["client_id"]}
    assert after["reason"] is None
    assert sorted(after["withheld_categories"]) == sorted(
        ["identity", "contact", "demographics", "safety", "immigration", "health"]
    )
    assert after["withheld_basis"] == "revoked"
    assert AuditEvent.objects.filter(action="disclosure").count() == 1
    assert AuditEvent.objects.filter(action="referral.read", reason="revoked").count() == 1
    # The loop can still close.
    done = api(dave).post(
        f"/api/v1/referrals/{rid}/transitions", {"to": "completed"}, format="json"
    )
    assert done.status_code == 200


def test_expiry_mid_flow_takes_effect_by_time_alone(api, dave, ana_consent, referral):
    Consent.objects.filter(pk=ana_consent.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    after = _read(api, dave, referral["id"])
    assert "identity" not in after["client"]
    assert after["withheld_basis"] == "expired"


def test_a_second_consent_never_widens_what_the_recipient_sees(
    api, dave, ana, safehouse, make_consent, ana_consent, referral
):
    """Was: a second consent to the same recipient widened every referral (the union)."""
    make_consent(ana, safehouse, categories=("safety",), purpose="safety_planning")
    seen = _read(api, dave, referral["id"])
    assert "safety" not in seen["client"] and "safety" in seen["withheld_categories"]
    assert ANA["risk_notes"] not in str(seen)
    assert AuditEvent.objects.get(action="disclosure").consent_id == ana_consent.id


def test_special_categories_need_acknowledgement(api, dave, ana, safehouse, make_consent, referral):
    make_consent(ana, safehouse, categories=("immigration",))
    assert "immigration" not in _read(api, dave, referral["id"])["client"]


def test_the_sender_sees_its_own_client_and_the_read_is_audited(api, alice, referral):
    seen = _read(api, alice, referral["id"])
    assert seen["client"]["immigration"]["status"] == ANA["immigration_status"]
    assert seen["reason"] == SECRET_REASON and seen["withheld_categories"] == []
    event = AuditEvent.objects.get(action="referral.read")
    assert "immigration" in event.categories


def test_a_sender_integration_without_clients_read_sees_no_client_fields(
    api, make_integration, eastside, referral
):
    partner = make_integration(eastside, scopes=["referrals:read"])
    seen = _read(api, partner, referral["id"])
    assert seen["client"] == {"id": seen["client_id"]}
    assert seen["reason"] is None and seen["withheld_basis"] == "scope"


def test_a_recipient_integration_sees_what_consent_permits(
    api, make_integration, safehouse, referral
):
    partner = make_integration(safehouse, scopes=["referrals:read", "clients:read"])
    seen = _read(api, partner, referral["id"])
    assert seen["client"]["identity"]["family_name"] == "Canary"
    assert AuditEvent.objects.get(action="disclosure").actor_kind == "integration"


def test_an_erased_client_leaves_the_referral_without_client_data(api, alice, dave, ana, referral):
    from clients.services import client_erase
    from core.actor import Actor

    client_erase(actor=Actor(kind="user", agency_id=ana.agency_id, role="supervisor"), client=ana)
    for who in (alice, dave):
        seen = _read(api, who, referral["id"])
        assert seen["reason"] is None and "identity" not in seen["client"]
