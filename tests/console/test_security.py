"""The console's attack cases: deny by default, tenant isolation, sessions, CSRF, headers, and
survivor values kept out of URLs, titles, caches and logs. Each was a failing test first."""

from __future__ import annotations

import logging
import re
import uuid

import pytest
from django.test import Client
from django.urls import URLPattern

from accounts.models import TokenFamily
from accounts.users import user_set_active
from audit.models import AuditEvent
from console import middleware
from console.urls import urlpatterns
from referrals.models import ReferralMessage
from tests.conftest import PASSWORD, access_token_for, actor
from tests.console.conftest import post, sign_in

CANARIES = (b"CANARY-SAFETY", b"CANARY-REASON", b"555-0100", b"Canary")


def _url(pattern: URLPattern) -> str:
    route = str(pattern.pattern)
    route = re.sub(r"<uuid:[a-z_]+>", str(uuid.uuid4()), route)
    route = re.sub(r"<str:[a-z_]+>", "identity", route)
    return "/app/" + re.sub(r"<path:[a-z_]+>", "nowhere", route)


def test_every_console_route_declares_who_may_open_it():
    undeclared = [
        str(p.pattern) for p in urlpatterns if getattr(p.callback, "console_roles", None) is None
    ]
    assert not undeclared, f"wrap these views with console.access.screen or public: {undeclared}"


@pytest.mark.django_db
def test_anonymous_callers_get_the_sign_in_page_and_nothing_else():
    anonymous = Client()
    for pattern in urlpatterns:
        url = _url(pattern)
        response = anonymous.get(url)
        if pattern.callback.console_roles == ():  # the public pages
            assert response.status_code in {200, 302, 404, 405}, url
            continue
        assert response.status_code in {302, 405}, (url, response.status_code)
        if response.status_code == 302:
            assert response["Location"] == "/app/", url


def test_another_agencys_referral_is_the_404_page_and_audited(console, dave, referral_to_harbor):
    browser = console(dave)
    response = browser.get(f"/app/referrals/{referral_to_harbor.id}/")
    assert response.status_code == 404
    assert b"Page not found" in response.content
    assert not any(c in response.content for c in CANARIES)
    denied = AuditEvent.objects.get(
        action="authz.denied", actor_id=str(dave.id), chain=str(dave.agency_id)
    )
    assert (denied.outcome, denied.object_id) == ("deny", str(referral_to_harbor.id))
    assert denied.subject_agency_id is None  # the prober's trail says not whose referral it was
    copy = AuditEvent.objects.get(action="authz.denied", actor_id=str(dave.id), chain="platform")
    assert copy.subject_agency_id == referral_to_harbor.sender_agency_id  # the owner's copy
    moved = post(
        browser, f"/app/referrals/{referral_to_harbor.id}/move", {"to": "accepted", "version": "1"}
    )
    assert moved.status_code == 404
    referral_to_harbor.refresh_from_db()
    assert referral_to_harbor.status == "requested"


def test_a_compliance_officer_cannot_open_a_client_or_a_referral(console, erin, referral_to_harbor):
    browser = console(erin)
    for url in (
        f"/app/clients/{referral_to_harbor.client_id}/",
        f"/app/referrals/{referral_to_harbor.id}/",
        "/app/clients/",
    ):
        response = browser.get(url)
        assert response.status_code == 403, url
        assert b"Not available for your role" in response.content
        assert not any(c in response.content for c in CANARIES)
    assert AuditEvent.objects.filter(action="authz.denied", actor_id=str(erin.id)).count() == 3
    assert not AuditEvent.objects.filter(
        action__in=["client.read", "referral.read", "disclosure"], actor_id=str(erin.id)
    ).exists()


def test_an_agency_admin_sees_no_survivor_data(console, adam, referral_to_harbor):
    browser = console(adam)
    assert browser.get("/app/")["Location"] == "/app/admin/users/"
    response = browser.get(f"/app/clients/{referral_to_harbor.client_id}/")
    assert response.status_code == 403 and b"Canary" not in response.content


def test_the_recipient_sees_what_consent_permits_and_the_read_is_the_apis_disclosure(
    console, carol, referral_to_harbor
):
    browser = console(carol)
    before = AuditEvent.objects.count()
    page = browser.get(f"/app/referrals/{referral_to_harbor.id}/")
    assert b"Ana" in page.content and b"555-0100" in page.content
    assert b"CANARY-SAFETY" not in page.content
    assert b"Safety notes" not in page.content  # the field is not even named
    assert b"You can see name and date of birth and contact details until" in page.content
    assert b"Not shared, and why" in page.content
    reason = b"health notes: the client&#x27;s consent does not include them"
    assert b"safety notes, immigration status and " + reason in page.content
    events = list(AuditEvent.objects.filter(id__gt=0).order_by("id")[before:])
    disclosure = [e for e in events if e.action == "disclosure"]
    assert len(disclosure) == 1
    assert disclosure[0].categories == ["contact", "identity"]
    assert disclosure[0].consent_id == referral_to_harbor.consent_id
    # The detail, its messages and its history: each through referrals.reads, as the API.
    actions = {"disclosure", "referral.messages.read", "referral.history.read"}
    assert {e.action for e in events} == actions


def test_no_client_name_in_urls_titles_or_caches(console, alice, eastside, make_client):
    browser = console(alice)
    person = make_client(eastside, given_name="Zorya", family_name="Quillfeather")
    assert browser.get("/app/clients/duplicates").status_code == 405  # search is POST only
    page = browser.get(f"/app/clients/{person.id}/")
    assert b"Quillfeather" in page.content
    title = re.search(rb"<title>(.*?)</title>", page.content, re.S).group(1)
    assert b"Quillfeather" not in title and b"Zorya" not in title
    assert page["Cache-Control"] == "no-store"
    assert "HX-Request" in page["Vary"]
    found = post(
        browser,
        "/app/clients/duplicates",
        {"given_name": "zorya", "family_name": "QUILLFEATHER", "date_of_birth": "1990-01-01"},
    )
    assert b"may already have a record" in found.content
    assert all("Quillfeather" not in str(v) for v in found.headers.values())


def test_every_form_needs_its_csrf_token(carol, referral_to_harbor):
    browser = sign_in(carol)
    url = f"/app/referrals/{referral_to_harbor.id}/messages"
    refused = browser.post(url, {"body": "no token"})
    assert refused.status_code == 403
    assert b"Your form expired" in refused.content
    assert not ReferralMessage.objects.filter(referral=referral_to_harbor).exists()
    accepted = post(browser, url, {"body": "with token"})
    assert accepted.status_code == 302
    assert ReferralMessage.objects.filter(referral=referral_to_harbor).count() == 1


def test_session_cookies_are_secure_httponly_strict_and_only_for_the_console(alice):
    browser = sign_in(alice)
    cookie = browser.cookies["rh_console"]
    assert cookie["secure"] and cookie["httponly"]
    assert (cookie["samesite"], cookie["path"]) == ("Strict", "/app/")
    csrf = browser.cookies["csrftoken"]
    assert csrf["secure"] and csrf["httponly"] and csrf["samesite"] == "Strict"


def test_the_session_id_changes_at_sign_in(alice):
    browser = Client()
    browser.get("/app/")
    browser.session.save()
    before = browser.session.session_key
    browser.post("/app/sign-in", {"username": "alice", "password": PASSWORD})
    assert browser.cookies["rh_console"].value != before


def test_an_idle_session_ends_and_its_family_is_revoked(alice, monkeypatch, settings):
    browser = sign_in(alice)
    assert browser.get("/app/").status_code == 200
    family = TokenFamily.objects.get(user=alice)
    now = middleware.time.time()
    monkeypatch.setattr(middleware.time, "time", lambda: now + settings.CONSOLE_IDLE_SECONDS + 1)
    response = browser.get("/app/clients/")
    assert response["Location"] == "/app/?timeout=1"
    family.refresh_from_db()
    assert family.revoked_reason == "idle_timeout"
    assert AuditEvent.objects.filter(action="auth.logout", reason="idle_timeout").exists()
    assert b"signed you out because" in browser.get("/app/?timeout=1").content


def test_sign_out_everywhere_ends_api_sessions_too(api, alice, anon):
    token = access_token_for(alice)
    assert anon.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    browser = sign_in(alice)
    other = sign_in(alice)
    assert post(browser, "/app/account/sign-out-everywhere")["Location"] == "/app/?signed_out=1"
    assert anon.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    assert other.get("/app/clients/")["Location"] == "/app/"
    assert not TokenFamily.objects.filter(user=alice, revoked_at__isnull=True).exists()


def test_deactivation_signs_the_person_out_on_the_next_request(alice, adam):
    browser = sign_in(alice)
    user_set_active(actor=actor(adam), user=alice, active=False)
    assert browser.get("/app/clients/")["Location"] == "/app/"


def test_sign_out_revokes_the_family(alice):
    browser = sign_in(alice)
    post(browser, "/app/sign-out")
    assert TokenFamily.objects.get(user=alice).revoked_reason == "signed_out"
    assert browser.get("/app/clients/")["Location"] == "/app/"


def test_csp_is_strict_on_console_pages_and_the_api_keeps_its_own(alice, anon):
    page = Client().get("/app/")
    policy = page["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ):
        assert directive in policy
    assert "unsafe" not in policy
    assert re.search(rb"<script(?![^>]*\bsrc=)", page.content) is None, "inline script"
    assert b"style=" not in page.content and b"hx-on" not in page.content
    api = anon.get("/api/v1/agencies")
    assert api["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"


def test_no_survivor_value_reaches_the_logs(console, carol, referral_to_harbor, caplog):
    caplog.set_level(logging.DEBUG)
    browser = console(carol)
    browser.get(f"/app/referrals/{referral_to_harbor.id}/")
    post(browser, f"/app/referrals/{referral_to_harbor.id}/messages", {"body": "CANARY-MESSAGE"})
    post(
        browser,
        f"/app/referrals/{referral_to_harbor.id}/move",
        {"to": "rejected", "version": "1", "reason": ""},
    )
    text = caplog.text
    assert "CANARY" not in text and "555-0100" not in text


def test_a_right_password_without_the_code_looks_like_a_wrong_one(alice):
    from tests.conftest import enrol_totp

    enrol_totp(alice)
    browser = Client()
    browser.get("/app/")
    right = browser.post("/app/sign-in", {"username": "alice", "password": PASSWORD})
    wrong = browser.post("/app/sign-in", {"username": "alice", "password": "not-the-password"})
    assert right.status_code == wrong.status_code == 401
    strip = lambda body: re.sub(rb"[A-Za-z0-9]{64}", b"", body)  # noqa: E731 - CSRF tokens
    assert strip(right.content) == strip(wrong.content)
    assert not TokenFamily.objects.filter(user=alice).exists()
    reasons = set(AuditEvent.objects.filter(action="auth.failed").values_list("reason", flat=True))
    assert "bad_password" in reasons and len(reasons) == 2  # the trail tells them apart


def test_the_enrolment_step_can_only_enrol(erin, settings):
    settings.MFA_REQUIRED_ROLES = ["compliance_officer"]
    browser = Client()
    browser.get("/app/")
    step = browser.post("/app/sign-in", {"username": "erin", "password": PASSWORD})
    assert step["Location"] == "/app/sign-in/set-up"
    assert b"Scan this code" in browser.get("/app/sign-in/set-up").content
    for url in ("/app/audit/", "/app/account/", "/app/audit/verify/"):
        assert browser.get(url)["Location"] == "/app/", url
    assert not TokenFamily.objects.filter(user=erin).exists()
