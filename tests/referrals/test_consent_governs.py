"""Issue 12 regressions: each side path that leaked, as the attack that found it.

Every test asserts the body, the audit event and the accounting of disclosures.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from consent.models import Consent
from referrals.models import Referral
from tests.referrals.conftest import ANA, SECRET_REASON, referral_body, revoke
from webhooks.models import OutboxEvent

ALL = ["identity", "contact", "demographics", "safety", "immigration", "health"]


def _read(api, who, rid):  # type: ignore[no-untyped-def]
    response = api(who).get(f"/api/v1/referrals/{rid}")
    assert response.status_code == 200, response.content
    return response.json()


def _accounting(api, erin, client):  # type: ignore[no-untyped-def]
    response = api(erin).get(f"/api/v1/clients/{client.id}/disclosures")
    assert response.status_code == 200, response.content
    return response.json()["results"]


def _messages(api, who, rid):  # type: ignore[no-untyped-def]
    response = api(who).get(f"/api/v1/referrals/{rid}/messages")
    assert response.status_code == 200, response.content
    newest: dict[str, dict] = {}
    for m in response.json()["results"]:  # newest first: keep each agency's newest
        newest.setdefault(m["agency"]["name"], m)
    return newest


def _post_message(api, who, rid, body):  # type: ignore[no-untyped-def]
    return api(who).post(f"/api/v1/referrals/{rid}/messages", {"body": body}, format="json")


def _transition(api, who, rid, to, reason=""):  # type: ignore[no-untyped-def]
    body = {"to": to, "reason": reason}
    return api(who).post(f"/api/v1/referrals/{rid}/transitions", body, format="json")


def test_two_consents_to_one_recipient_the_referral_follows_only_its_own(
    api, alice, dave, erin, ana, safehouse, make_consent
):
    """Was: `safety` from an unused legal-services consent showed on a social-services
    referral, and the disclosure event and accounting named the wrong consent."""
    social = make_consent(
        ana, safehouse, categories=("identity", "contact"), purpose="social_services"
    )
    make_consent(ana, safehouse, categories=("safety",), purpose="legal_services")
    body = referral_body(ana, safehouse, social, service_type="case_management")
    rid = api(alice).post("/api/v1/referrals", body, format="json").json()["id"]

    seen = _read(api, dave, rid)
    assert set(seen["client"]) == {"id", "identity", "contact"}
    assert "safety" in seen["withheld_categories"] and ANA["risk_notes"] not in str(seen)
    event = AuditEvent.objects.get(action="disclosure")
    assert (event.consent_id, event.purpose) == (social.id, "social_services")
    assert event.categories == ["contact", "identity"]
    [row] = _accounting(api, erin, ana)
    assert (row["consent_id"], row["purpose"]) == (str(social.id), "social_services")
    assert row["categories"] == ["contact", "identity"] and row["referral_id"] == rid


def test_revoking_the_referrals_consent_ends_it_though_another_is_active(
    api, alice, dave, erin, ana, safehouse, ana_consent, make_consent, referral
):
    """Was: after its own consent was revoked, the referral kept showing what a second,
    unrelated consent to the same recipient covered, and the reason narrative."""
    make_consent(ana, safehouse, categories=tuple(ALL[:4]), purpose="housing")
    rid = referral["id"]
    _read(api, dave, rid)
    response = api(alice).post(
        f"/api/v1/consents/{ana_consent.id}/revoke", {"reason": "client asked"}, format="json"
    )
    assert response.status_code == 200

    seen = _read(api, dave, rid)
    assert seen["client"] == {"id": str(ana.id)} and seen["reason"] is None
    assert seen["withheld_categories"] == ALL and seen["withheld_basis"] == "revoked"
    assert SECRET_REASON not in str(seen) and ANA["given_name"] not in str(seen)
    last = AuditEvent.objects.filter(actor_id=str(dave.id)).order_by("-id").first()
    assert (last.action, last.reason, last.categories) == ("referral.read", "revoked", [])
    assert len(_accounting(api, erin, ana)) == 1  # only the read before the revocation


def test_entered_in_error_discloses_nothing(api, alice, dave, erin, ana, referral):
    """Was: after the sender marked the referral entered-in-error, the recipient still saw
    identity, safety and the reason."""
    rid = referral["id"]
    assert _post_message(api, alice, rid, "She is at the bus station").status_code == 201
    response = _transition(api, alice, rid, "entered-in-error", "wrong client")
    assert response.status_code == 200 and response.json()["status"] == "entered-in-error"

    seen = _read(api, dave, rid)
    assert seen["client"] == {"id": str(ana.id)} and seen["reason"] is None
    assert seen["status_reason"] is None and seen["withheld_basis"] == "referral_state"
    thread = _messages(api, dave, rid)["Eastside Legal Clinic"]
    assert thread["body"] is None and thread["withheld_basis"] == "referral_state"
    history = api(dave).get(f"/api/v1/referrals/{rid}/history").json()["results"]
    assert history[-1]["reason"] is None and history[-1]["withheld_basis"] == "referral_state"
    reads = AuditEvent.objects.filter(actor_id=str(dave.id)).values_list("action", "reason")
    assert set(reads) == {
        ("referral.read", "referral_state"),
        ("referral.messages.read", "referral_state"),
        ("referral.history.read", "referral_state"),
    }
    assert _accounting(api, erin, ana) == []


def test_a_draft_sent_after_its_consent_was_revoked_is_refused(
    api, alice, dave, erin, ana, ana_consent, send
):
    """Was: `draft -> requested` after revocation went through; the recipient got the webhook
    and could read it."""
    draft = send(draft=True)
    revoke(ana_consent)
    response = _transition(api, alice, draft["id"], "requested")
    assert response.status_code == 409 and response.json()["code"] == "consent_required"
    assert Referral.objects.get(pk=draft["id"]).status == "draft"
    assert not OutboxEvent.objects.filter(type="referral.requested").exists()
    denied = AuditEvent.objects.get(action="referral.transition", outcome="deny")
    assert denied.reason == "consent_required"
    assert api(dave).get(f"/api/v1/referrals/{draft['id']}").status_code == 404
    assert _accounting(api, erin, ana) == []


def test_a_draft_sent_after_its_consent_expired_is_refused(api, alice, ana_consent, send):
    draft = send(draft=True)
    Consent.objects.filter(pk=ana_consent.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = _transition(api, alice, draft["id"], "requested")
    assert response.status_code == 409 and response.json()["code"] == "consent_required"


def test_messages_before_and_after_revocation_both_ways(
    api, alice, dave, erin, ana, ana_consent, referral
):
    """Was: after revocation the recipient still read the sender's free text, both sides
    could post, and message reads were not in the accounting."""
    rid = referral["id"]
    assert (
        _post_message(api, alice, rid, "Her phone is off; use the shelter line").status_code == 201
    )
    assert _post_message(api, dave, rid, "Bed 4 is ready").status_code == 201

    before = _messages(api, dave, rid)
    assert before["Eastside Legal Clinic"]["body"] == "Her phone is off; use the shelter line"
    disclosure = AuditEvent.objects.get(action="disclosure", actor_id=str(dave.id))
    assert disclosure.reason == "messages" and disclosure.consent_id == ana_consent.id
    [row] = _accounting(api, erin, ana)
    assert row["via"] == "messages" and row["consent_id"] == str(ana_consent.id)

    revoke(ana_consent)
    after = _messages(api, dave, rid)
    assert after["Eastside Legal Clinic"]["body"] is None
    assert after["Eastside Legal Clinic"]["withheld_basis"] == "revoked"
    assert after["Safe Harbor Housing"]["body"] == "Bed 4 is ready"  # its own, always
    last = AuditEvent.objects.filter(actor_id=str(dave.id)).order_by("-id").first()
    assert (last.action, last.reason) == ("referral.messages.read", "revoked")
    assert len(_accounting(api, erin, ana)) == 1

    refused = _post_message(api, alice, rid, "She also said ...")
    assert refused.status_code == 409 and refused.json()["code"] == "consent_required"
    denied = AuditEvent.objects.get(action="referral.message", outcome="deny")
    assert denied.reason == "consent_required"
    assert _post_message(api, dave, rid, "Closing: consent withdrawn").status_code == 201
    mine = _messages(api, alice, rid)
    assert mine["Safe Harbor Housing"]["body"] == "Closing: consent withdrawn"
    assert mine["Eastside Legal Clinic"]["body"] == "Her phone is off; use the shelter line"
    assert mine["Eastside Legal Clinic"]["withheld_basis"] == ""
    assert len(_accounting(api, erin, ana)) == 1  # the sender reading is no disclosure


@pytest.mark.parametrize(
    ("side", "scopes", "sees"),
    [
        ("sender", ["referrals:read"], False),
        ("sender", ["referrals:read", "clients:read"], True),
        ("recipient", ["referrals:read"], False),
        ("recipient", ["referrals:read", "clients:read"], True),
    ],
)
def test_integration_scope_matrix(
    api, alice, erin, ana, eastside, safehouse, make_integration, referral, side, scopes, sees
):
    """Was: a recipient integration with only `referrals:read` received consented client
    fields; a sender one received the reason and message bodies."""
    rid = referral["id"]
    _post_message(api, alice, rid, "canary message body")
    partner = make_integration(eastside if side == "sender" else safehouse, scopes=scopes)

    seen = _read(api, partner, rid)
    thread = _messages(api, partner, rid)["Eastside Legal Clinic"]
    listed = api(partner).get("/api/v1/referrals").json()["results"][0]
    history = api(partner).get(f"/api/v1/referrals/{rid}/history").json()["results"]
    assert ("identity" in seen["client"]) is sees
    assert (seen["reason"] == SECRET_REASON) is sees
    assert (thread["body"] == "canary message body") is sees
    assert (listed["client_display_name"] == "Ana Canary") is sees
    if not sees:
        assert seen["withheld_basis"] == thread["withheld_basis"] == "scope"
        assert listed["client_withheld_basis"] == "scope" and seen["withheld_categories"] == ALL
        assert all(h["reason"] is None for h in history)
    disclosures = AuditEvent.objects.filter(action="disclosure", actor_kind="integration")
    expected = 3 if sees and side == "recipient" else 0  # detail, messages, list item
    assert disclosures.count() == expected
    rows = [r for r in _accounting(api, erin, ana) if r["actor_role"] == ""]
    assert len(rows) == expected


def test_purpose_mismatch_on_create(api, alice, erin, ana, safehouse, make_consent):
    """Was: a `housing` referral was created under a `social_services` consent."""
    social = make_consent(ana, safehouse, purpose="social_services")
    body = referral_body(ana, safehouse, social, service_type="transitional_housing")
    response = api(alice).post("/api/v1/referrals", body, format="json")
    assert response.status_code == 409
    problem = response.json()
    assert problem["code"] == "purpose_mismatch" and problem["allowed_purposes"] == ["housing"]
    assert "transitional_housing" in problem["detail"] and not Referral.objects.exists()
    denied = AuditEvent.objects.get(action="referral.create")
    assert (denied.outcome, denied.reason, denied.consent_id) == (
        "deny",
        "purpose_mismatch",
        social.id,
    )
    assert _accounting(api, erin, ana) == []


def test_purpose_mismatch_on_send(api, alice, dave, ana, safehouse, make_consent):
    """A draft recorded before the rule (or under another table) is checked again on send."""
    social = make_consent(ana, safehouse, purpose="social_services")
    draft = Referral.objects.create(
        sender_agency=ana.agency,
        recipient_agency=safehouse,
        client=ana,
        consent=social,
        service_type="shelter",
        status="draft",
    )
    response = _transition(api, alice, draft.id, "requested")
    assert response.status_code == 409 and response.json()["code"] == "purpose_mismatch"
    assert response.json()["allowed_purposes"] == ["housing", "safety_planning"]
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert AuditEvent.objects.get(outcome="deny").reason == "purpose_mismatch"
    assert api(dave).get(f"/api/v1/referrals/{draft.id}").status_code == 404


def test_purpose_mismatch_on_attach(
    api, alice, erin, ana, safehouse, ana_consent, make_consent, referral
):
    social = make_consent(ana, safehouse, purpose="social_services")
    response = api(alice).post(
        f"/api/v1/referrals/{referral['id']}/consent", {"consent_id": str(social.id)}, format="json"
    )
    assert response.status_code == 409 and response.json()["code"] == "purpose_mismatch"
    assert response.json()["allowed_purposes"] == ["housing", "safety_planning"]
    assert Referral.objects.get(pk=referral["id"]).consent_id == ana_consent.id
    denied = AuditEvent.objects.get(action="referral.consent_attach")
    assert (denied.outcome, denied.reason) == ("deny", "purpose_mismatch")
    assert not OutboxEvent.objects.filter(type="referral.consent_changed").exists()
    assert _accounting(api, erin, ana) == []


def test_consent_read_is_audited_and_recipients_never_see_free_text(
    api, alice, dave, ana, safehouse, referral
):
    """Was: reading a consent's free text (`purpose_detail`, `revoke_reason`) left no trace."""
    grant = {
        "recipient_agency_id": str(safehouse.id),
        "categories": ["identity"],
        "purpose": "housing",
        "purpose_detail": "canary purpose detail",
        "expires_at": (timezone.now() + timedelta(days=30)).isoformat(),
        "method": "written",
        "signed_by": "client",
        "informed": True,
    }
    made = api(alice).post(f"/api/v1/clients/{ana.id}/consents", grant, format="json").json()
    attach = f"/api/v1/referrals/{referral['id']}/consent"
    assert api(alice).post(attach, {"consent_id": made["id"]}, format="json").status_code == 200
    as_owner = api(alice).get(f"/api/v1/consents/{made['id']}").json()
    assert as_owner["purpose_detail"] == "canary purpose detail"
    as_recipient = api(dave).get(f"/api/v1/consents/{made['id']}")
    assert as_recipient.status_code == 200 and "canary" not in as_recipient.content.decode()
    reads = AuditEvent.objects.filter(action="consent.read", consent_id=made["id"])
    assert {e.actor_id for e in reads} == {str(alice.id)}
    assert all("canary" not in bytes(e.canonical).decode() for e in reads)
