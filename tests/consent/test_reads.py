"""Reading a consent's survivor free text is audited (`consent.read`); recipients never see it."""

from __future__ import annotations

from audit.models import AuditEvent
from consent.models import Consent
from consent.reads import consent_free_text
from tests.conftest import actor

from .test_api import SECRET, grant


def _reads(consent_id: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="consent.read", consent_id=consent_id))


def test_the_owner_reading_free_text_writes_consent_read(api, alice, bob, person, grant_body):
    consent = grant(api, alice, person, grant_body())
    response = api(bob).get(f"/api/v1/consents/{consent['id']}")
    assert response.json()["purpose_detail"].endswith(SECRET)
    events = [e for e in _reads(consent["id"]) if e.actor_id == str(bob.id)]
    assert len(events) == 1
    event = events[0]
    assert event.outcome == "allow" and event.reason == "purpose_detail"
    assert event.purpose == "housing" and event.subject_ref
    assert SECRET not in bytes(event.canonical).decode()


def test_a_consent_without_free_text_is_read_without_an_event(api, alice, person, grant_body):
    consent = grant(api, alice, person, grant_body(purpose_detail=""))
    body = api(alice).get(f"/api/v1/consents/{consent['id']}").json()
    assert body["purpose_detail"] == "" and body["revoke_reason"] == ""
    assert _reads(consent["id"]) == []


def test_a_recipient_gets_no_free_text_and_no_read_event(api, alice, dave, person, grant_body):
    consent = grant(api, alice, person, grant_body())
    row = Consent.objects.select_related("client").get(pk=consent["id"])
    before = len(_reads(consent["id"]))
    assert consent_free_text(actor=actor(dave), consent=row) is None
    assert len(_reads(consent["id"])) == before


def test_revoking_reads_back_both_texts_under_one_event(api, alice, person, grant_body):
    consent = grant(api, alice, person, grant_body())
    url = f"/api/v1/consents/{consent['id']}/revoke"
    body = api(alice).post(url, {"reason": "moved away safely"}, format="json").json()
    assert body["revoke_reason"] == "moved away safely"
    assert [e.reason for e in _reads(consent["id"])][-1] == "purpose_detail,revoke_reason"


def test_consent_reads_is_the_only_module_that_decrypts_consent_free_text():
    """Issue 12 item 6: every decrypt of a consent's free text goes through `consent_free_text`
    (which audits it). Sealing (services) and the columns (models) are the only other uses."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    allowed = {"consent/models.py", "consent/services.py", "consent/reads.py"}
    apps = ("core", "audit", "agencies", "crypto", "accounts", "webhooks", "clients")
    apps += ("consent", "referrals", "api", "console", "referral_hub")
    offenders = []
    for app in apps:
        for path in sorted((root / app).rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            if "/migrations/" in rel or rel in allowed:
                continue
            text = path.read_text()
            if "_sealed" in text and ("purpose_detail" in text or "revoke_reason" in text):
                offenders.append(rel)
            if rel.startswith("consent/") and "unseal" in text:
                offenders.append(rel)
    assert not offenders, f"decrypt consent free text only in consent/reads.py: {offenders}"


def test_a_recipient_reading_a_consent_over_the_api_causes_no_read_event(
    api, alice, dave, person, grant_body
):
    from tests.consent.test_recipients import refer

    consent = grant(api, alice, person, grant_body())
    refer(Consent.objects.get(pk=consent["id"]))
    before = len(_reads(consent["id"]))
    body = api(dave).get(f"/api/v1/consents/{consent['id']}")
    assert body.status_code == 200 and SECRET not in body.content.decode()
    assert len(_reads(consent["id"])) == before
