"""Attaching a newer consent to a referral, withdrawing a consent, and what the referral page and
the lists then say: through the console's forms, asserting the data and the audit rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from consent.models import Consent, ConsentStatus
from consent.services import ConsentTerms, consent_grant
from referrals.models import Referral
from referrals.services import referral_message_add
from tests.conftest import actor
from tests.console.conftest import post, sign_in


def _newer(alice, harbor, referral, categories=("identity", "contact", "safety")):  # type: ignore[no-untyped-def]
    return consent_grant(
        actor=actor(alice),
        client=referral.client,
        terms=ConsentTerms(
            recipient_agency_id=harbor.id,
            categories=list(categories),
            purpose="case_coordination",
            method="written",
            signed_by="client",
            informed=True,
            expires_at=timezone.now() + timedelta(days=30),
        ),
    )


def test_the_sender_attaches_a_newer_consent_and_the_recipient_then_sees_more(
    alice, carol, harbor, referral_to_harbor
):
    newer = _newer(alice, harbor, referral_to_harbor)
    browser = sign_in(alice)
    page = browser.get(f"/app/referrals/{referral_to_harbor.id}/")
    assert b"Share under a newer consent" in page.content
    assert str(newer.id).encode() in page.content
    assert str(referral_to_harbor.consent_id).encode() not in page.content.split(b'id="consent"')[1]

    done = post(
        browser,
        f"/app/referrals/{referral_to_harbor.id}/consent",
        {"consent": str(newer.id), "version": str(referral_to_harbor.version)},
    )
    assert done.status_code == 302 and "attached=1" in done["Location"]
    referral_to_harbor.refresh_from_db()
    assert referral_to_harbor.consent_id == newer.id
    attach = AuditEvent.objects.get(action="referral.consent_attach")
    assert attach.consent_id == newer.id and attach.outcome == "allow"
    assert b"now follows the newer consent" in browser.get(done["Location"]).content

    seen = sign_in(carol).get(f"/app/referrals/{referral_to_harbor.id}/")
    assert b"CANARY-SAFETY" in seen.content
    disclosure = AuditEvent.objects.filter(action="disclosure").latest("id")
    assert "safety" in disclosure.categories and disclosure.consent_id == newer.id


def test_attach_refusals_are_plain_and_change_nothing(alice, carol, harbor, referral_to_harbor):
    browser = sign_in(alice)
    stale = post(
        browser,
        f"/app/referrals/{referral_to_harbor.id}/consent",
        {"consent": str(_newer(alice, harbor, referral_to_harbor).id), "version": "99"},
    )
    assert stale.status_code == 400 and b"Someone changed this referral" in stale.content
    assert b"There is a problem" in stale.content

    revoked = _newer(alice, harbor, referral_to_harbor)
    Consent.objects.filter(pk=revoked.pk).update(
        status=ConsentStatus.REVOKED, revoked_at=timezone.now()
    )
    refused = post(
        browser,
        f"/app/referrals/{referral_to_harbor.id}/consent",
        {"consent": str(revoked.id), "version": str(referral_to_harbor.version)},
    )
    assert refused.status_code == 400 and b"That consent is not in effect" in refused.content
    referral_to_harbor.refresh_from_db()
    assert referral_to_harbor.consent_id not in (revoked.id,)

    # The recipient is offered nothing and cannot attach (403 page, audited as denied).
    page = sign_in(carol).get(f"/app/referrals/{referral_to_harbor.id}/")
    assert b"Share under a newer consent" not in page.content
    theirs = post(
        sign_in(carol),
        f"/app/referrals/{referral_to_harbor.id}/consent",
        {"consent": str(revoked.id), "version": str(referral_to_harbor.version)},
    )
    assert theirs.status_code == 403
    assert AuditEvent.objects.filter(action="authz.denied").exists()


def test_withdrawing_says_what_happens_then_stops_sharing(alice, carol, referral_to_harbor):
    consent_id = referral_to_harbor.consent_id
    browser = sign_in(alice)
    client_page = browser.get(f"/app/clients/{referral_to_harbor.client_id}/")
    assert f"/app/consents/{consent_id}/withdraw".encode() in client_page.content
    page = browser.get(f"/app/consents/{consent_id}/withdraw")
    text = page.content.decode()
    assert "Harbor Social Services stops seeing name and date of birth and contact details" in text
    assert "1 referral to Harbor Social Services uses this consent." in text
    assert "cannot be taken back" in text and "cannot be undone" in text

    missing = post(browser, f"/app/consents/{consent_id}/withdraw", {"reason": ""})
    assert missing.status_code == 400 and b"There is a problem" in missing.content
    assert b"Say why the consent is being withdrawn" in missing.content
    assert Consent.objects.get(pk=consent_id).status == ConsentStatus.ACTIVE

    done = post(
        browser, f"/app/consents/{consent_id}/withdraw", {"reason": "The client asked us to stop"}
    )
    assert done.status_code == 302 and "withdrawn=1" in done["Location"]
    assert Consent.objects.get(pk=consent_id).status == ConsentStatus.REVOKED
    revoke = AuditEvent.objects.get(action="consent.revoke")
    assert "asked us to stop" not in str(revoke.reason)  # the reason is sealed, never audited
    after = browser.get(done["Location"]).content
    assert b"The consent was withdrawn" in after and b"Withdrawn" in after

    sender_view = browser.get(f"/app/referrals/{referral_to_harbor.id}/").content.decode()
    assert "Harbor Social Services cannot see this client&#x27;s details now" in sender_view
    assert "the client withdrew consent" in sender_view
    recipient_view = sign_in(carol).get(f"/app/referrals/{referral_to_harbor.id}/").content
    assert b"Canary" not in recipient_view and b"You cannot see" in recipient_view
    assert b"the client withdrew consent" in recipient_view

    again = browser.get(f"/app/consents/{consent_id}/withdraw")
    assert b"nothing to stop" in again.content and b"Withdraw consent</button>" not in again.content


def test_only_the_clients_agency_may_withdraw(carol, dave, referral_to_harbor):
    url = f"/app/consents/{referral_to_harbor.consent_id}/withdraw"
    for person in (carol, dave):  # the recipient relying on it, and a stranger: one 404
        browser = sign_in(person)
        assert browser.get(url).status_code == 404
        assert post(browser, url, {"reason": "x"}).status_code == 404
    assert Consent.objects.get(pk=referral_to_harbor.consent_id).status == ConsentStatus.ACTIVE


def test_special_categories_not_acknowledged_are_named_as_such(
    alice, carol, harbor, referral_to_harbor
):
    # A consent naming a special category without the separate agreement (older data: the
    # service now refuses to record one) shares only the rest.
    newer = _newer(alice, harbor, referral_to_harbor, ("identity",))
    Consent.objects.filter(pk=newer.pk).update(categories=["identity", "immigration"])
    Referral.objects.filter(pk=referral_to_harbor.pk).update(consent=newer)
    page = sign_in(carol).get(f"/app/referrals/{referral_to_harbor.id}/").content.decode()
    assert "You can see name and date of birth until" in page
    assert "Immigration status: these are especially sensitive" in page
    assert "the client&#x27;s consent does not include them" in page


def test_lists_show_names_only_where_entitled_and_unread_counts(alice, carol, referral_to_harbor):
    referral_message_add(actor=actor(alice), referral=referral_to_harbor, body="CANARY-MSG hello")
    recipient = sign_in(carol)
    before = AuditEvent.objects.count()
    inbox = recipient.get("/app/").content.decode()
    assert "Ana Canary" in inbox and "1 new" in inbox
    listed = AuditEvent.objects.order_by("id")[before:]
    assert [e.reason for e in listed if e.action == "disclosure"] == ["list"]

    page = recipient.get(f"/app/referrals/{referral_to_harbor.id}/").content.decode()
    assert "CANARY-MSG hello" in page and "rh-new" in page  # marked new on this first visit
    again = recipient.get(f"/app/referrals/{referral_to_harbor.id}/").content.decode()
    assert "rh-new" not in again
    assert "1 new" not in recipient.get("/app/").content.decode()

    Consent.objects.filter(pk=referral_to_harbor.consent_id).update(
        status=ConsentStatus.REVOKED, revoked_at=timezone.now()
    )
    withdrawn = recipient.get("/app/").content.decode()
    assert "Ana Canary" not in withdrawn and "Not shared: the client withdrew consent" in withdrawn
    thread = recipient.get(f"/app/referrals/{referral_to_harbor.id}/").content.decode()
    assert "CANARY-MSG" not in thread
    assert "You cannot read this message now: the client withdrew consent" in thread

    sent = sign_in(alice).get("/app/?box=sent").content.decode()
    assert "Ana Canary" in sent


@pytest.mark.parametrize("box", ["received", "sent"])
def test_the_list_goes_through_the_list_read(alice, box, referral_to_harbor):
    browser = sign_in(alice)
    before = AuditEvent.objects.count()
    browser.get(f"/app/?box={box}")
    actions = {e.action for e in AuditEvent.objects.order_by("id")[before:]}
    assert actions == ({"referral.list"} if box == "sent" else set())


def test_a_consent_recorded_from_the_referral_leads_back_to_it(
    alice, carol, harbor, referral_to_harbor
):
    browser = sign_in(alice)
    page = browser.get(f"/app/referrals/{referral_to_harbor.id}/").content.decode()
    link = (
        f"/app/clients/{referral_to_harbor.client_id}/consents/new"
        f"?recipient={harbor.id}&amp;referral={referral_to_harbor.id}"
    )
    assert link in page
    form = browser.get(link.replace("&amp;", "&")).content.decode()
    assert f'<option value="{harbor.id}" selected>' in form
    assert f'name="referral" value="{referral_to_harbor.id}"' in form
    recorded = post(
        browser,
        f"/app/clients/{referral_to_harbor.client_id}/consents/new",
        {
            "decision": "yes",
            "recipient": str(harbor.id),
            "categories": ["identity", "contact", "safety"],
            "purpose": "case_coordination",
            "days": "30",
            "method": "written",
            "signed_by": "client",
            "informed": "on",
            "language": "en",
            "referral": str(referral_to_harbor.id),
        },
    )
    assert (
        recorded.status_code == 302 and f"referral={referral_to_harbor.id}" in recorded["Location"]
    )
    receipt = browser.get(recorded["Location"]).content.decode()
    assert f'href="/app/referrals/{referral_to_harbor.id}/#consent"' in receipt
    newest = Consent.objects.filter(client=referral_to_harbor.client).latest("created_at")
    assert (
        str(newest.id) in browser.get(f"/app/referrals/{referral_to_harbor.id}/").content.decode()
    )

    # A referral that is not this sender's, or not about this client, gets no link back.
    theirs = sign_in(carol)
    assert (
        theirs.get(
            f"/app/consents/{newest.id}/receipt?referral={referral_to_harbor.id}"
        ).status_code
        == 404
    )
    stray = browser.get(f"/app/consents/{newest.id}/receipt?referral=not-a-uuid")
    assert stray.status_code == 200 and b"Back to the referral" not in stray.content


def test_attach_attacks_another_clients_consent_or_a_stranger(
    alice, dave, eastside, harbor, make_client, referral_to_harbor
):
    other = make_client(eastside, given_name="Other", family_name="Person")
    foreign = consent_grant(
        actor=actor(alice),
        client=other,
        terms=ConsentTerms(
            recipient_agency_id=harbor.id,
            categories=["identity", "contact", "safety"],
            purpose="case_coordination",
            method="written",
            signed_by="client",
            informed=True,
            expires_at=timezone.now() + timedelta(days=30),
        ),
    )
    url = f"/app/referrals/{referral_to_harbor.id}/consent"
    data = {"consent": str(foreign.id), "version": str(referral_to_harbor.version)}
    page = sign_in(alice).get(f"/app/referrals/{referral_to_harbor.id}/").content
    assert str(foreign.id).encode() not in page  # never offered
    refused = post(sign_in(alice), url, data)
    assert refused.status_code == 400 and b"That consent is not in effect" in refused.content
    assert post(sign_in(dave), url, data).status_code == 404  # not a party: the 404 page
    referral_to_harbor.refresh_from_db()
    assert referral_to_harbor.consent_id != foreign.id
    denied = AuditEvent.objects.filter(action="referral.consent_attach", outcome="deny")
    assert denied.count() == 1 and denied.get().reason == "consent_required"


def test_the_timeline_shows_each_reason_the_reader_may_see(alice, carol, referral_to_harbor):
    from referrals.services import referral_transition

    referral_transition(
        actor=actor(carol),
        referral=referral_to_harbor,
        to="rejected",
        reason="CANARY-DECLINE no capacity this month",
        expected_version=referral_to_harbor.version,
    )
    before = AuditEvent.objects.count()
    sender = sign_in(alice).get(f"/app/referrals/{referral_to_harbor.id}/").content.decode()
    assert "Reason: CANARY-DECLINE no capacity this month" in sender
    history = AuditEvent.objects.order_by("id")[before:]
    assert "referral.history.read" in {e.action for e in history}
    Consent.objects.filter(pk=referral_to_harbor.consent_id).update(
        status=ConsentStatus.REVOKED, revoked_at=timezone.now()
    )
    own = sign_in(carol).get(f"/app/referrals/{referral_to_harbor.id}/").content.decode()
    assert "Reason: CANARY-DECLINE" in own  # each agency always reads what it wrote
