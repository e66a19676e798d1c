"""Client records, receipts and assignment through the console, asserting data and audit."""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from clients.decrypt import client_fields
from consent.models import Consent
from consent.services import ConsentTerms, consent_grant
from tests.conftest import actor
from tests.console.conftest import post, sign_in


@pytest.fixture
def ana(eastside, make_client):
    return make_client(eastside, given_name="Ana", family_name="Quintero", risk_notes="CANARY-RISK")


def test_a_caseworker_changes_one_category(alice, ana):
    browser = sign_in(alice)
    form = browser.get(f"/app/clients/{ana.id}/edit/contact")
    assert form.status_code == 200
    saved = post(
        browser,
        f"/app/clients/{ana.id}/edit/contact",
        {"contact-phone": "555-0199", "contact-email": ""},
    )
    assert saved.status_code == 302
    ana.refresh_from_db()
    assert client_fields(client=ana, categories=["contact"])["contact"]["phone"] == "555-0199"
    update = AuditEvent.objects.get(action="client.update")
    assert update.categories == ["contact"]


def test_a_name_cannot_be_cleared_and_the_form_says_so(alice, ana):
    browser = sign_in(alice)
    refused = post(
        browser,
        f"/app/clients/{ana.id}/edit/identity",
        {"identity-given_name": "", "identity-family_name": "Quintero"},
    )
    assert refused.status_code == 400
    assert b"There is a problem" in refused.content and b"cannot be removed" in refused.content
    ana.refresh_from_db()
    assert client_fields(client=ana, categories=["identity"])["identity"]["given_name"] == "Ana"


def test_only_a_supervisor_erases_and_only_after_confirming(alice, sam, ana):
    assert sign_in(alice).get(f"/app/clients/{ana.id}/erase").status_code == 403
    browser = sign_in(sam)
    page = browser.get(f"/app/clients/{ana.id}/erase")
    assert b"This cannot be undone" in page.content
    unconfirmed = post(browser, f"/app/clients/{ana.id}/erase")
    assert unconfirmed.status_code == 400
    ana.refresh_from_db()
    assert ana.erased_at is None
    post(browser, f"/app/clients/{ana.id}/erase", {"confirm": "erase"})
    ana.refresh_from_db()
    assert ana.erased_at is not None
    assert AuditEvent.objects.filter(action="client.erase", object_id=str(ana.id)).exists()
    assert b"Erased record" in browser.get(f"/app/clients/{ana.id}/").content


def test_a_refusal_is_recorded_and_never_blocks(alice, harbor, ana):
    browser = sign_in(alice)
    made = post(
        browser,
        f"/app/clients/{ana.id}/consents/new",
        {
            "decision": "no",
            "recipient": str(harbor.id),
            "categories": ["identity"],
            "purpose": "housing",
            "days": "30",
            "method": "verbal_witnessed",
            "signed_by": "client",
            "language": "en",
        },
    )
    assert made.status_code == 302
    consent = Consent.objects.get(client=ana)
    assert consent.status == "refused"
    receipt = browser.get(made["Location"])
    assert (
        b"You said no" in receipt.content and b"You will still get help from us" in receipt.content
    )


def test_too_long_a_consent_is_refused_by_the_service_rule(alice, harbor, ana, settings):
    browser = sign_in(alice)
    refused = post(
        browser,
        f"/app/clients/{ana.id}/consents/new",
        {
            "decision": "yes",
            "recipient": str(harbor.id),
            "categories": ["identity"],
            "informed": "on",
            "purpose": "housing",
            "days": str(settings.CONSENT_MAX_DAYS + 1),
            "method": "written",
            "signed_by": "client",
            "language": "en",
        },
    )
    assert refused.status_code == 400
    assert f"at most {settings.CONSENT_MAX_DAYS} days".encode() in refused.content
    assert not Consent.objects.filter(client=ana).exists()


@pytest.fixture
def consent(alice, harbor, ana):
    terms = ConsentTerms(
        recipient_agency_id=harbor.id,
        categories=["identity", "safety"],
        purpose="housing",
        method="written",
        signed_by="client",
        informed=True,
        expires_at=timezone.now() + timedelta(days=30),
    )
    return consent_grant(actor=actor(alice), client=ana, terms=terms)


def test_the_receipt_names_no_person_and_no_internal_id(alice, ana, consent, tmp_path):
    browser = sign_in(alice)
    base = f"/app/consents/{consent.id}/receipt"
    html = browser.get(base + "?lang=es").content.decode()
    body = html.split('class="rh-receipt"')[1].split("rh-no-print")[0]
    data = json.loads(browser.get(base + ".json?lang=es").content)
    pdf = browser.get(base + ".pdf?lang=es").content
    (tmp_path / "r.pdf").write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True
    ).stdout
    for shown in (body, json.dumps(data, ensure_ascii=False), text):
        assert "Quintero" not in shown and "CANARY" not in shown
        assert str(ana.id) not in shown and str(consent.id) not in shown
        assert "Harbor Social Services" in shown
    assert (
        data["consentReceiptID"].startswith("C-")
        and data["piiPrincipalId"] == data["consentReceiptID"]
    )
    assert data["services"][0]["purposes"][0]["piiCategory"] == ["identity", "safety"]
    assert data["sensitive"] is True and data["language"] == "es"
    assert "Su recibo de permiso" in text and "Notas sobre los riesgos para su seguridad." in text


def test_a_recipient_gets_no_receipt(carol, consent):
    assert sign_in(carol).get(f"/app/consents/{consent.id}/receipt").status_code == 404


def test_a_recipient_supervisor_assigns_the_referral(hank, carol, referral_to_harbor):
    browser = sign_in(hank)
    page = browser.get(f"/app/referrals/{referral_to_harbor.id}/")
    assert b"Assign to" in page.content and b"carol" in page.content
    done = post(
        browser,
        f"/app/referrals/{referral_to_harbor.id}/assign",
        {"assignee": str(carol.id), "version": "1"},
    )
    assert done.status_code == 302
    referral_to_harbor.refresh_from_db()
    assert referral_to_harbor.assignee_id == carol.id
    assert AuditEvent.objects.filter(action="referral.assign").exists()


def test_a_reason_is_asked_for_where_required(carol, referral_to_harbor):
    browser = sign_in(carol)
    refused = post(
        browser,
        f"/app/referrals/{referral_to_harbor.id}/move",
        {"to": "rejected", "version": "1", "reason": ""},
    )
    assert refused.status_code == 400 and b"A reason is required" in refused.content
    referral_to_harbor.refresh_from_db()
    assert referral_to_harbor.status == "requested"
    stale = post(
        browser, f"/app/referrals/{referral_to_harbor.id}/move", {"to": "accepted", "version": "7"}
    )
    assert stale.status_code == 400 and b"changed since you read it" in stale.content
