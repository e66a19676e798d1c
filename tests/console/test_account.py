"""The person's own account screens: password, sessions, authenticator app (QR code), recovery
codes, all through the accounts services, asserting the data and the audit rows."""

from __future__ import annotations

import re
import time

from accounts import totp
from accounts.factors import pending_secret_of
from accounts.models import RecoveryCode, TokenFamily, User
from audit.models import AuditEvent
from tests.conftest import PASSWORD, enrol_totp
from tests.console.conftest import post, sign_in

NEW_PASSWORD = "a much longer new passphrase 42"


def test_changing_the_password_keeps_this_session_and_ends_the_others(alice):
    other = sign_in(alice)
    browser = sign_in(alice)
    assert b"Change your password" in browser.get("/app/account/password").content

    wrong = post(browser, "/app/account/password", {"current": "nope", "new": NEW_PASSWORD})
    assert wrong.status_code == 400 and b"That is not right" in wrong.content
    weak = post(browser, "/app/account/password", {"current": PASSWORD, "new": "short"})
    assert weak.status_code == 400 and b"There is a problem" in weak.content
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)

    done = post(browser, "/app/account/password", {"current": PASSWORD, "new": NEW_PASSWORD})
    assert done.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert b"Your password was changed" in browser.get(done["Location"]).content
    assert b"sign-in" in other.get("/app/").content.lower()  # the other browser is signed out
    assert other.get("/app/account/").status_code == 302
    event = AuditEvent.objects.get(action="user.password_change")
    assert event.reason == "sessions_revoked=1"
    assert NEW_PASSWORD not in str(list(AuditEvent.objects.values()))


def test_the_sessions_list_and_signing_one_out(alice, carol):
    other = sign_in(alice)
    browser = sign_in(alice)
    page = browser.get("/app/account/").content.decode()
    ids = re.findall(r"/app/account/sessions/([0-9a-f-]{36})/end", page)
    assert len(ids) == 2 and "This browser" in page
    current = browser.session["console_family"]
    theirs = next(i for i in ids if i != current)

    ended = post(browser, f"/app/account/sessions/{theirs}/end")
    assert ended.status_code == 302 and "done=session" in ended["Location"]
    assert TokenFamily.objects.get(pk=theirs).revoked_at is not None
    assert other.get("/app/account/").status_code == 302
    assert AuditEvent.objects.filter(action="auth.session_revoke").count() == 1

    # Someone else's session is not yours to end: the same 404 as a made-up one.
    carols = sign_in(carol).session["console_family"]
    assert post(browser, f"/app/account/sessions/{carols}/end").status_code == 404
    assert TokenFamily.objects.get(pk=carols).revoked_at is None

    mine = post(browser, f"/app/account/sessions/{current}/end")
    assert mine.status_code == 302 and "signed_out=1" in mine["Location"]
    assert browser.get("/app/account/").status_code == 302


def _scan_secret(page: bytes) -> str:
    return re.search(rb'id="totp-secret">([A-Z2-7]+)<', page).group(1).decode()  # type: ignore[union-attr]


def test_setting_up_the_app_shows_a_qr_code_then_recovery_codes(alice):
    browser = sign_in(alice)
    start = browser.get("/app/account/authenticator")
    assert start.status_code == 200 and b"Your password" in start.content
    assert b"Code from the app you use now" not in start.content  # nothing to replace yet

    refused = post(browser, "/app/account/authenticator", {"password": "wrong"})
    assert refused.status_code == 400 and b"That is not right" in refused.content
    scan = post(browser, "/app/account/authenticator", {"password": PASSWORD})
    assert scan.status_code == 200
    assert b'<svg role="img" aria-label="QR code for your authenticator app"' in scan.content
    assert b"<script" not in scan.content.split(b"<main")[1].split(b"</main>")[0]
    assert b" style=" not in scan.content  # nothing the CSP would block
    secret = _scan_secret(scan.content)
    alice.refresh_from_db()
    assert pending_secret_of(alice) == secret and not alice.mfa_enabled

    bad = post(browser, "/app/account/authenticator", {"step": "confirm", "code": "000000"})
    assert bad.status_code == 400 and b"There is a problem" in bad.content
    assert b"QR code" in bad.content  # the code is shown again
    done = post(
        browser, "/app/account/authenticator", {"step": "confirm", "code": totp.code_now(secret)}
    )
    assert done.status_code == 200 and b"Your recovery codes" in done.content
    codes = done.content.split(b'id="recovery-codes"')[1].split(b"</ul>")[0]
    assert codes.count(b"<li>") == 10
    alice.refresh_from_db()
    assert alice.mfa_enabled
    assert AuditEvent.objects.filter(action="mfa.enrol", object_id=str(alice.pk)).exists()
    account = browser.get("/app/account/").content
    assert b"You have 10 recovery codes left" in account


def test_replacing_the_app_needs_the_password_and_the_current_code(alice):
    old = enrol_totp(alice).secret
    browser = sign_in(alice, otp=totp.code_now(old))
    page = browser.get("/app/account/authenticator")
    assert b"Code from the app you use now" in page.content
    no_code = post(browser, "/app/account/authenticator", {"password": PASSWORD})
    assert no_code.status_code == 400
    alice.refresh_from_db()
    assert pending_secret_of(alice) is None

    # The sign-in used this time step's code: here the proof is a recovery code instead.
    scan = post(
        browser,
        "/app/account/authenticator",
        {"password": PASSWORD, "recovery_code": _one_recovery_code(alice)},
    )
    assert scan.status_code == 200, scan.content[:3000]
    new = _scan_secret(scan.content)
    assert new != old
    done = post(
        browser, "/app/account/authenticator", {"step": "confirm", "code": totp.code_now(new)}
    )
    assert b"Your recovery codes" in done.content
    assert AuditEvent.objects.filter(action="mfa.replace").count() == 1
    assert new not in str(list(AuditEvent.objects.values()))


def _one_recovery_code(user: User) -> str:
    """A fresh set through the service (the codes are stored hashed: the test keeps them)."""
    from accounts.factors import recovery_codes_issue

    return recovery_codes_issue(user)[0]


def test_new_recovery_codes_need_a_current_code_and_replace_the_old(alice):
    secret = enrol_totp(alice).secret
    browser = sign_in(alice, otp=totp.code_now(secret))
    before = set(RecoveryCode.objects.filter(user=alice).values_list("pk", flat=True))
    wrong = post(browser, "/app/account/recovery-codes", {"code": "000000"})
    assert wrong.status_code == 400 and b"There is a problem" in wrong.content
    assert set(RecoveryCode.objects.filter(user=alice).values_list("pk", flat=True)) == before

    # The sign-in used this time step's code (a replay is refused): the app's next one.
    upcoming = totp.code_now(secret, at=time.time() + 30)
    done = post(browser, "/app/account/recovery-codes", {"code": upcoming})
    assert done.status_code == 200 and b"Your recovery codes" in done.content
    after = set(RecoveryCode.objects.filter(user=alice).values_list("pk", flat=True))
    assert len(after) == 10 and not (after & before)
    assert AuditEvent.objects.filter(action="mfa.recovery_codes").count() == 1
