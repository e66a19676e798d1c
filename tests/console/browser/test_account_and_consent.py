"""In real Chromium, keyboard only, every screen checked by axe-core and for CSP violations:
the person's own account (password, authenticator app with its QR code, recovery codes,
sessions) and a consent's life on a referral (attach a newer one, withdraw it)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts import totp
from consent.models import Consent, ConsentStatus
from consent.services import ConsentTerms, consent_grant
from referrals.services import referral_message_add
from tests.conftest import PASSWORD, actor
from tests.console.browser.keys import activate, pick, tab_to, type_into
from tests.console.browser.test_journeys import sign_in

NEW_PASSWORD = "a much longer new passphrase 42"


def test_own_account_password_authenticator_and_sessions_by_keyboard(tab, alice):
    me = tab()
    sign_in(me, "alice")
    page = me.page
    activate(page, "a[href='/app/account/']")
    page.wait_for_url("**/app/account/")
    assert "This browser" in page.inner_text("#sessions ~ table")
    me.check("account", shot=True)

    activate(page, "a[href='/app/account/authenticator']")
    page.wait_for_url("**/app/account/authenticator")
    me.check("authenticator-prove")
    type_into(page, "#id_password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("svg.rh-qr")
    assert page.get_attribute("svg.rh-qr", "aria-label") == "QR code for your authenticator app"
    me.check("authenticator-scan", shot=True)
    secret = page.inner_text("#totp-secret")
    type_into(page, "#id_code", totp.code_now(secret))
    page.keyboard.press("Enter")
    page.wait_for_selector("#recovery-codes li")
    assert len(page.query_selector_all("#recovery-codes li")) == 10
    activate(page, "a:has-text('I have kept them')")
    page.wait_for_url("**/app/account/")
    assert "10 recovery codes left" in page.inner_text("main")
    alice.refresh_from_db()
    assert alice.mfa_enabled

    activate(page, "a[href='/app/account/password']")
    page.wait_for_url("**/app/account/password")
    type_into(page, "#id_current", "not my password")
    type_into(page, "#id_new", NEW_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector(".govuk-error-summary")
    me.check("password-error")
    type_into(page, "#id_current", PASSWORD)
    type_into(page, "#id_new", NEW_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/app/account/?done=password")
    assert "Your password was changed" in page.inner_text(".govuk-notification-banner")
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


def test_attach_a_newer_consent_then_withdraw_it_by_keyboard(
    tab, alice, carol, harbor, referral_to_harbor
):
    newer = consent_grant(
        actor=actor(alice),
        client=referral_to_harbor.client,
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
    me = tab()
    sign_in(me, "alice")
    page = me.page
    me.visit(f"/app/referrals/{referral_to_harbor.id}/")
    pick(page, "#attach-consent", str(newer.id))
    activate(page, "button:has-text('Use this consent')")
    page.wait_for_url("**?attached=1*")
    assert "newer consent" in page.inner_text(".govuk-notification-banner")
    assert "safety notes" in page.inner_text("#sharing")
    me.check("referral-attached")

    me.visit(f"/app/clients/{referral_to_harbor.client_id}/")
    activate(page, f"a[href='/app/consents/{newer.id}/withdraw']")
    page.wait_for_url(f"**/app/consents/{newer.id}/withdraw")
    assert "1 referral to Harbor Social Services uses this consent" in page.inner_text(
        "#consequences"
    )
    activate(page, "button:has-text('Withdraw consent')")  # no reason yet: the summary says so
    page.wait_for_selector(".govuk-error-summary")
    me.check("consent-withdraw", shot=True)
    type_into(page, "#id_reason", "The client asked us to stop sharing.")
    activate(page, "button:has-text('Withdraw consent')")
    page.wait_for_url("**?withdrawn=1*")
    assert Consent.objects.get(pk=newer.pk).status == ConsentStatus.REVOKED

    referral_message_add(actor=actor(alice), referral=referral_to_harbor, body="Any news?")
    them = tab()
    sign_in(them, "carol")
    line = them.page.inner_text("#referral-table tbody")
    assert "Not shared: the client withdrew consent" in line and "Canary" not in line
    assert "1 new" in line
    them.check("referrals-recipient")
    tab_to(them.page, f"a[href='/app/referrals/{referral_to_harbor.id}/']")
    them.page.keyboard.press("Enter")
    them.page.wait_for_url(f"**/app/referrals/{referral_to_harbor.id}/")
    assert "the client withdrew consent" in them.page.inner_text("#sharing")
    assert "You cannot read this message now" in them.page.inner_text("#messages")
    them.check("referral-withdrawn")
