"""The people's journeys in real Chromium, keyboard only, every screen checked by axe-core and
for CSP violations (tests/console/browser/conftest.py). Screenshots for docs/console.md are
taken when CONSOLE_SCREENSHOTS=1."""

from __future__ import annotations

import re
from pathlib import Path

from accounts import totp
from audit.signing import public_key
from audit.verify_export import verify_export
from consent.models import Consent
from referrals.models import Referral, ReferralMessage
from tests.conftest import PASSWORD, enrol_totp
from tests.console.browser.keys import activate, choose_radio, pick, tab_to, tick, type_into


def sign_in(me, username: str, *, code_secret: str | None = None) -> None:
    """Username, password and (when set up) the app's code, all in the one sign-in form."""
    page = me.visit("/app/")
    type_into(page, "#id_username", username)
    type_into(page, "#id_password", PASSWORD)
    if code_secret:
        type_into(page, "#id_otp", totp.code_now(code_secret))
    page.keyboard.press("Enter")
    page.wait_for_selector("nav.rh-nav")


def test_caseworker_journey_end_to_end_by_keyboard(
    tab, alice, carol, eastside, harbor, make_client
):
    secret = enrol_totp(alice).secret
    make_client(eastside, given_name="Ana María", family_name="Núñez", date_of_birth="1991-02-03")
    me = tab()
    page = me.visit("/app/")
    me.check("sign-in", shot=True)
    sign_in(me, "alice", code_secret=secret)
    me.check("referrals", shot=True)

    # A new client: the duplicate check finds the same person under other spelling.
    activate(page, "a[href='/app/clients/new']")
    page.wait_for_url("**/app/clients/new")
    me.check("client-new")
    type_into(page, "#id_given_name", "ana maria")
    type_into(page, "#id_family_name", "NUNEZ")
    type_into(page, "#id_date_of_birth", "1991-02-03")
    activate(page, "button[value=check]")
    page.wait_for_selector("#duplicates .govuk-warning-text")
    assert "Open the record of Ana María Núñez" in page.inner_text("#duplicates")
    me.check("client-duplicate-warning", shot=True)
    tick(page, "#id_not_a_duplicate")
    activate(page, "button[value=save]")
    page.wait_for_url(re.compile(r".*/app/clients/[0-9a-f-]+/\?added=1"))
    me.check("client", shot=True)
    client_url = page.url.split("?")[0]

    # Consent, then its receipt in Spanish.
    activate(page, "a:has-text('Record consent')")
    page.wait_for_url("**/consents/new")
    choose_radio(page, "decision", "yes")
    pick(page, "#id_recipient", str(harbor.id))
    tick(page, "input[name=categories][value=identity]")
    tick(page, "input[name=categories][value=contact]")
    choose_radio(page, "purpose", "case_coordination")
    choose_radio(page, "method", "written")
    choose_radio(page, "signed_by", "client")
    pick(page, "#id_language", "es")
    activate(page, "button:has-text('Record and show the receipt')")
    page.wait_for_selector(".govuk-error-summary")  # not yet "informed": the summary says so
    me.check("consent-error", shot=True)
    assert page.evaluate("document.activeElement.closest('.govuk-error-summary') !== null")
    tick(page, "#id_informed")
    pick(page, "#id_language", "es")
    activate(page, "button:has-text('Record and show the receipt')")
    page.wait_for_url("**/receipt?lang=es")
    body = page.inner_text(".rh-receipt")
    assert "Su recibo de permiso" in body and "Harbor Social Services" in body
    assert "Núñez" not in body and "ana maria" not in body.lower()
    me.check("receipt-es", shot=True)

    # Send the referral under that consent.
    activate(page, "a:has-text('Send a referral')")
    page.wait_for_url("**/refer")
    pick(page, "#filter-service", "case_management")
    page.wait_for_selector("#programs legend:has-text('(1 found)')")
    me.check("send", shot=True)
    choose_radio(page, "program", str(harbor.programs.get().id))
    choose_radio(page, "consent", str(Consent.objects.get(recipient_agency=harbor).id))
    pick(page, "#id_priority", "urgent")
    type_into(page, "#id_reason", "Needs a case manager for housing and benefits.")
    activate(page, "button:has-text('Send the referral')")
    page.wait_for_url(re.compile(r".*/app/referrals/[0-9a-f-]+/\?done=requested"))
    assert "Waiting for reply" in page.inner_text("h1")
    me.check("referral-sender", shot=True)
    referral = Referral.objects.get(recipient_agency=harbor)

    # The recipient accepts and writes back.
    them = tab()
    sign_in(them, "carol")
    activate(them.page, f"a[href='/app/referrals/{referral.id}/']")
    them.page.wait_for_url(f"**/app/referrals/{referral.id}/")
    assert "ana maria" in them.page.inner_text("main").lower()
    assert "consent does not include them" in them.page.inner_text("#sharing")
    them.check("referral-recipient", shot=True)
    activate(them.page, "button:has-text('Accept')")
    them.page.wait_for_url("**?done=accepted")
    type_into(them.page, "#id_body", "We can meet her on Tuesday at 10.")
    activate(them.page, "button:has-text('Send message')")
    them.page.wait_for_selector(".rh-thread__item:has-text('Tuesday at 10')")  # swapped by htmx
    them.check("messages")
    activate(them.page, "button:has-text('Start work')")
    them.page.wait_for_url("**?done=in-progress")
    activate(them.page, "button:has-text('Mark completed')")
    them.page.wait_for_url("**?done=completed")

    # The sender sees the loop close.
    page.goto(client_url.replace("/clients/", "/clients/").rstrip("/") + "/")
    activate(page, f"a[href='/app/referrals/{referral.id}/']")
    page.wait_for_url(f"**/app/referrals/{referral.id}/")
    assert "Completed" in page.inner_text("h1")
    assert "Tuesday at 10" in page.inner_text("#messages")
    me.check("referral-closed", shot=True)
    assert ReferralMessage.objects.filter(referral=referral).count() == 1


def test_compliance_journey_finds_the_disclosure_verifies_and_exports(
    tab, erin, carol, referral_to_harbor, tmp_path, settings
):
    from referrals.reads import referral_read
    from tests.conftest import actor

    referral_read(actor=actor(carol), referral=referral_to_harbor)  # Harbor reads: a disclosure
    settings.MFA_REQUIRED_ROLES = ["compliance_officer"]
    me = tab()
    page = me.visit("/app/")
    type_into(page, "#id_username", "erin")
    type_into(page, "#id_password", PASSWORD)
    page.keyboard.press("Enter")
    # First sign-in of a role that needs MFA: the enrolment step, and nothing else.
    page.wait_for_url("**/app/sign-in/set-up")
    me.check("mfa-set-up", shot=True)
    assert me.visit("/app/audit/").url.endswith("/app/")  # the step is not a session
    page.goto(me.base + "/app/sign-in/set-up")
    secret = page.inner_text("#totp-secret")
    type_into(page, "#id_code", totp.code_now(secret))
    page.keyboard.press("Enter")
    page.wait_for_selector("#recovery-codes li")
    assert len(page.query_selector_all("#recovery-codes li")) == 10
    me.check("recovery-codes")
    activate(page, "a:has-text('I have kept them')")
    page.wait_for_url("**/app/audit/")
    me.check("audit-events", shot=True)
    activate(page, "a[href='/app/audit/disclosures/']")
    page.wait_for_url("**/app/audit/disclosures/")
    type_into(page, "#id_client", str(referral_to_harbor.client_id))
    page.keyboard.press("Enter")
    page.wait_for_url("**/app/audit/disclosures/?client=*")
    row = page.inner_text("tbody")
    assert "Harbor Social Services" in row and "contact details" in row
    me.check("disclosures", shot=True)
    activate(page, "a[href='/app/audit/verify/']")
    page.wait_for_url("**/app/audit/verify/")
    assert "Intact" in page.inner_text(".rh-verify")
    me.check("verify", shot=True)
    tab_to(page, "button:has-text('Download a signed export')")
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    saved = Path(tmp_path) / "export.jsonl"
    download.value.save_as(saved)
    assert "valid" in verify_export(saved, public_key()).lower()
    activate(page, "a[href='/app/audit/charts/']")
    page.wait_for_url("**/app/audit/charts/")
    assert page.query_selector("svg.rh-chart rect") is not None
    me.check("charts", shot=True)


def test_denials_show_plain_pages(tab, dave, erin, referral_to_harbor):
    me = tab()
    sign_in(me, "dave")
    me.visit(f"/app/referrals/{referral_to_harbor.id}/")
    assert "Page not found" in me.page.inner_text("h1")
    assert "CANARY" not in me.page.content()
    me.check("not-found", shot=True)
    other = tab()
    sign_in(other, "erin")
    other.visit(f"/app/clients/{referral_to_harbor.client_id}/")
    assert "Not available for your role" in other.page.inner_text("h1")
    assert "Canary" not in other.page.content()
    other.check("not-your-role")


def test_admin_journey_invites_and_deactivates_a_person(tab, adam, alice):
    me = tab()
    sign_in(me, "adam")
    page = me.page
    me.check("staff", shot=True)
    type_into(page, "#id_username", "newcomer")
    pick(page, "#id_role", "caseworker")
    activate(page, "button:has-text('Invite')")
    page.wait_for_selector("#password-code")
    assert "newcomer is invited" in page.inner_text(".govuk-panel")
    me.check("staff-invited")
    tab_to(page, "button:has-text('Deactivate newcomer')")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    row = page.locator("tr", has_text="newcomer").inner_text()
    assert "Deactivated" in row
    activate(page, "a[href='/app/admin/integrations/']")
    page.wait_for_url("**/app/admin/integrations/")
    me.check("integrations", shot=True)


def test_the_idle_warning_appears_and_stay_signed_in_keeps_the_session(tab, alice, settings):
    settings.CONSOLE_IDLE_SECONDS, settings.CONSOLE_IDLE_WARNING_SECONDS = 8, 7
    me = tab()
    sign_in(me, "alice")
    page = me.page
    page.wait_for_selector("#idle-warning:not([hidden])", timeout=5000)
    assert page.evaluate("document.activeElement.id") == "idle-stay"  # focus moved to the button
    me.check("idle-warning")
    with page.expect_response("**/app/session/keep-alive") as answer:
        page.keyboard.press("Enter")
    assert answer.value.status == 204
    page.wait_for_selector("#idle-warning", state="hidden")
    page.reload()
    assert page.query_selector("nav.rh-nav") is not None  # still signed in
