"""Attaching a newer consent to a live referral: sender only, same client and recipient, in
effect, fitting; audited; `referral.consent_changed`; the referral then follows that one."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from referrals.models import Referral
from tests.referrals.conftest import ANA
from webhooks.models import OutboxEvent


def _attach(api, who, rid, consent, **extra):  # type: ignore[no-untyped-def]
    body = {"consent_id": str(consent.id), **extra}
    return api(who).post(f"/api/v1/referrals/{rid}/consent", body, format="json")


@pytest.fixture
def wider(make_consent, ana, safehouse):  # type: ignore[no-untyped-def]
    """A newer consent to the same recipient that also covers `safety`."""
    return make_consent(ana, safehouse, categories=("identity", "contact", "safety"))


def test_the_referral_follows_the_attached_consent(
    api, alice, dave, erin, ana, ana_consent, wider, referral, safehouse
):
    rid = referral["id"]
    assert "safety" not in api(dave).get(f"/api/v1/referrals/{rid}").json()["client"]
    response = _attach(api, alice, rid, wider, version=1)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["consent_id"] == str(wider.id) and body["version"] == 2
    assert body["allowed_transitions"] == ["cancelled", "entered-in-error"]
    event = AuditEvent.objects.get(action="referral.consent_attach")
    assert event.consent_id == wider.id and event.reason == f"replaces:{ana_consent.id}"
    assert event.categories == ["contact", "identity", "safety"]
    changed = OutboxEvent.objects.filter(type="referral.consent_changed")
    assert {e.agency_id for e in changed} == {ana.agency_id, safehouse.id}
    assert changed[0].data["previous_consent_id"] == str(ana_consent.id)
    assert ANA["risk_notes"] not in str(changed[0].data)

    seen = api(dave).get(f"/api/v1/referrals/{rid}").json()
    assert seen["client"]["safety"]["risk_notes"] == ANA["risk_notes"]
    newest = api(erin).get(f"/api/v1/clients/{ana.id}/disclosures").json()["results"][0]
    assert newest["consent_id"] == str(wider.id) and "safety" in newest["categories"]


def test_revoking_the_replaced_consent_no_longer_matters_to_the_referral(
    api, alice, dave, ana_consent, wider, referral
):
    rid = referral["id"]
    _attach(api, alice, rid, wider)
    api(alice).post(f"/api/v1/consents/{ana_consent.id}/revoke", {"reason": "x"}, format="json")
    assert not OutboxEvent.objects.filter(type="consent.revoked").exists()
    assert api(dave).get(f"/api/v1/referrals/{rid}").json()["withheld_basis"] == "permitted"
    api(alice).post(f"/api/v1/consents/{wider.id}/revoke", {"reason": "x"}, format="json")
    told = OutboxEvent.objects.get(type="consent.revoked")
    assert told.data["consent_id"] == str(wider.id) and told.data["referral_ids"] == [rid]
    assert api(dave).get(f"/api/v1/referrals/{rid}").json()["withheld_basis"] == "revoked"


def test_attaching_the_consent_it_already_has_changes_nothing(api, alice, ana_consent, referral):
    response = _attach(api, alice, referral["id"], ana_consent)
    assert response.status_code == 200 and response.json()["version"] == 1
    assert not AuditEvent.objects.filter(action="referral.consent_attach").exists()
    assert not OutboxEvent.objects.filter(type="referral.consent_changed").exists()


def test_only_the_sender_attaches(api, dave, wider, referral, ana_consent):
    response = _attach(api, dave, referral["id"], wider)
    assert response.status_code == 403
    assert Referral.objects.get(pk=referral["id"]).consent_id == ana_consent.id
    assert AuditEvent.objects.get(action="authz.denied").outcome == "deny"


@pytest.mark.parametrize("which", ["other_client", "other_recipient", "revoked", "missing"])
def test_the_consent_must_be_this_clients_to_this_recipient_and_in_effect(
    api, alice, ana, harbor, safehouse, eastside, make_client, make_consent, referral, which
):
    import uuid

    from tests.referrals.conftest import revoke

    if which == "other_client":
        consent = make_consent(make_client(eastside), safehouse)
    elif which == "other_recipient":
        consent = make_consent(ana, harbor, purpose="housing")
    else:
        consent = make_consent(ana, safehouse)
        if which == "revoked":
            revoke(consent)
        else:
            consent.id = uuid.uuid4()
    response = _attach(api, alice, referral["id"], consent)
    assert response.status_code == 409 and response.json()["code"] == "consent_required"
    denied = AuditEvent.objects.get(action="referral.consent_attach")
    assert (denied.outcome, denied.reason) == ("deny", "consent_required")


def test_a_closed_referral_takes_no_new_consent(api, alice, dave, wider, referral):
    api(dave).post(
        f"/api/v1/referrals/{referral['id']}/transitions",
        {"to": "rejected", "reason": "full"},
        format="json",
    )
    response = _attach(api, alice, referral["id"], wider)
    assert response.status_code == 409 and response.json()["code"] == "referral_closed"


def test_a_stale_version_is_refused(api, alice, dave, wider, referral):
    api(dave).post(
        f"/api/v1/referrals/{referral['id']}/transitions", {"to": "accepted"}, format="json"
    )
    response = _attach(api, alice, referral["id"], wider, version=1)
    assert response.status_code == 409 and response.json()["code"] == "stale_version"


def test_a_draft_can_take_a_newer_consent_before_it_is_sent(
    api, alice, dave, ana_consent, wider, send
):
    from tests.referrals.conftest import revoke

    draft = send(draft=True)
    revoke(ana_consent)
    assert _attach(api, alice, draft["id"], wider).status_code == 200
    changed = OutboxEvent.objects.get(type="referral.consent_changed")
    assert str(changed.agency_id) == draft["sender_agency"]["id"]  # a draft: the sender only
    sent = api(alice).post(
        f"/api/v1/referrals/{draft['id']}/transitions", {"to": "requested"}, format="json"
    )
    assert sent.status_code == 200 and sent.json()["consent_id"] == str(wider.id)
