"""TOTP multi-factor authentication: sign-in with a second factor, the enrolment step, and
changes to a factor that a stolen access token cannot make (issue 14, Deliver 1)."""

from __future__ import annotations

import io
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from accounts import totp
from accounts.factors import pending_secret_of, totp_secret_of
from accounts.models import RecoveryCode, TokenFamily, User
from audit.models import AuditEvent
from core.errors import IntegrityFailure
from tests.conftest import PASSWORD, access_token_for, client_for, enrol_totp
from webhooks.models import OutboxEvent

TOKEN = "/api/v1/auth/token"
ENROLL, CONFIRM = "/api/v1/auth/mfa/enroll", "/api/v1/auth/mfa/confirm"
REPLACE, REMOVE = "/api/v1/auth/mfa/replace", "/api/v1/auth/mfa/remove"
CODES = "/api/v1/auth/mfa/recovery-codes"


def _login(client: APIClient, username: str, password: str = PASSWORD, **extra: str):  # type: ignore[no-untyped-def]
    return client.post(TOKEN, {"username": username, "password": password, **extra}, format="json")


def _bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def _secret(uri: str) -> str:
    return parse_qs(urlsplit(uri).query)["secret"][0]


def _actions(user: User) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_id=str(user.pk), action__startswith="mfa.")
        .order_by("id")
        .values_list("action", flat=True)
    )


def _announced(user: User) -> list[str]:
    events = OutboxEvent.objects.filter(type="user.mfa_changed").order_by("occurred_at", "id")
    return [e.data["change"] for e in events if e.data["user_id"] == str(user.pk)]


def _later(monkeypatch: pytest.MonkeyPatch, seconds: float = 30) -> None:
    """Move the clock on, so that the next TOTP code is not a replay."""
    future = time.time() + seconds
    monkeypatch.setattr(totp.time, "time", lambda: future)


def _problem(response) -> dict:  # type: ignore[no-untyped-def]
    return {k: v for k, v in response.json().items() if k != "request_id"}


def test_totp_matches_the_rfc6238_reference_vector():
    # RFC 6238 appendix B, SHA-1, T=59 s -> 94287082 (8 digits); our 6-digit code is its tail.
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    assert totp.code_now(secret, at=59) == "287082"


# --- signing in with a second factor -----------------------------------------------------------
def test_an_enrolled_user_needs_a_current_code(anon, erin, settings, monkeypatch):
    settings.MFA_REQUIRED_ROLES = ["compliance_officer"]
    settings.LOGIN_FAILURE_LIMIT = 100
    secret = enrol_totp(erin).secret
    assert _login(anon, "erin").json()["code"] == "invalid_credentials"
    assert _login(anon, "erin", otp="000000").status_code == 401
    # The confirmation used the previous step's code, so replaying it is refused ...
    assert _login(anon, "erin", otp=totp.code_now(secret, at=time.time() - 30)).status_code == 401
    # ... the current code works once ...
    code = totp.code_now(secret)
    assert _login(anon, "erin", otp=code).status_code == 200
    assert _login(anon, "erin", otp=code).status_code == 401
    # ... and 30 seconds later, the next step's code works once.
    _later(monkeypatch)
    assert _login(anon, "erin", otp=totp.code_now(secret)).status_code == 200


def test_a_wrong_or_missing_code_answers_like_a_wrong_password_and_counts(anon, alice, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    secret = enrol_totp(alice).secret
    wrong_password = _login(anon, "alice", "not-the-password-1", otp=totp.code_now(secret))
    missing = _login(anon, "alice")
    wrong_code = _login(anon, "alice", otp="123456")
    assert wrong_password.status_code == missing.status_code == wrong_code.status_code == 401
    assert _problem(wrong_password) == _problem(missing) == _problem(wrong_code)
    # Each was a failure of (alice, this address): even the right password and code now wait.
    blocked = _login(anon, "alice", otp=totp.code_now(secret))
    assert blocked.status_code == 429 and int(blocked["Retry-After"]) > 0
    reasons = AuditEvent.objects.filter(action="auth.failed").values_list("reason", flat=True)
    assert list(reasons.order_by("id")) == ["bad_password", "mfa_missing", "bad_otp", "throttled"]


def test_a_code_is_spent_by_the_first_of_two_requests(alice):
    from accounts.factors import totp_code_consume

    secret = enrol_totp(alice).secret
    code = totp.code_now(secret)
    twin = User.objects.get(pk=alice.pk)  # a second request that read the row at the same time
    assert totp_code_consume(alice, code) is True
    assert totp_code_consume(twin, code) is False


# --- the enrolment step ------------------------------------------------------------------------
def test_a_required_role_without_mfa_gets_only_an_enrolment_step(anon, erin, settings):
    settings.MFA_REQUIRED_ROLES = ["compliance_officer"]
    response = _login(anon, "erin")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["next"] == "mfa_enrol" and body["expires_in"] == settings.MFA_ENROLMENT_SECONDS
    assert "access" not in body and "refresh" not in body
    assert not TokenFamily.objects.filter(user=erin).exists()
    assert _login(anon, "erin", "wrong-password-12").status_code == 401


def test_the_enrolment_step_enrols_and_then_signs_in(anon, erin, settings):
    settings.MFA_REQUIRED_ROLES = ["compliance_officer"]
    step = _bearer(_login(anon, "erin").json()["enrolment_token"])
    uri = step.post(ENROLL, {}, format="json").json()["otpauth_uri"]
    assert uri.startswith("otpauth://totp/referral-hub:erin?")
    confirmed = step.post(CONFIRM, {"code": totp.code_now(_secret(uri))}, format="json")
    assert confirmed.status_code == 200, confirmed.content
    body = confirmed.json()
    assert len(body["recovery_codes"]) == 10 == len(set(body["recovery_codes"]))
    me = _bearer(body["tokens"]["access"]).get("/api/v1/me")
    assert me.status_code == 200 and me.json()["username"] == "erin"
    erin.refresh_from_db()
    assert erin.mfa_enabled and erin.totp_pending_sealed is None
    assert _actions(erin) == ["mfa.enrol_start", "mfa.enrol"]
    assert _announced(erin) == ["enrolled"]
    # Enrolled now: the step token cannot start over (and so cannot replace the new factor).
    assert step.post(ENROLL, {}, format="json").json()["code"] == "mfa_already_enrolled"


def _routes() -> list[tuple[str, str]]:
    def walk(patterns, prefix=""):  # type: ignore[no-untyped-def]
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern), p

    found = []
    for route, pattern in walk(get_resolver().url_patterns):
        view = getattr(pattern.callback, "view_class", None)
        if not route.startswith("api/v1/") or view is None:
            continue
        url = "/" + route.replace("<uuid:", "").replace(">", "")
        for method in ("get", "post", "put", "patch", "delete"):
            if hasattr(view, method):
                found.append((method, url))
    return found


def test_the_enrolment_step_token_can_call_nothing_else(anon, erin, settings):
    import re
    import uuid

    settings.MFA_REQUIRED_ROLES = ["compliance_officer"]
    token = _login(anon, "erin").json()["enrolment_token"]
    step = _bearer(token)
    checked = 0
    for method, url in _routes():
        if url in (ENROLL, CONFIRM):
            continue
        concrete = re.sub(r"(user_id|family_id|integration_id|\w+_id)", str(uuid.uuid4()), url)
        response = getattr(step, method)(concrete, {}, format="json")
        open_route = url.startswith("/api/v1/auth") and response.status_code in (400, 401)
        assert response.status_code == 401 or open_route, f"{method} {url}: {response.status_code}"
        checked += 1
    assert checked > 40
    # Nor is it a refresh token or a credential for the open endpoints.
    refresh = anon.post("/api/v1/auth/token/refresh", {"refresh": token}, format="json")
    assert refresh.status_code == 401
    assert step.get("/api/v1/me").status_code == 401


def test_the_enrolment_step_token_expires(anon, erin, settings, monkeypatch):
    from django.utils import timezone

    settings.MFA_REQUIRED_ROLES = ["compliance_officer"]
    step = _bearer(_login(anon, "erin").json()["enrolment_token"])
    later = timezone.now() + timedelta(seconds=settings.MFA_ENROLMENT_SECONDS + 1)
    monkeypatch.setattr("rest_framework_simplejwt.tokens.aware_utcnow", lambda: later)
    assert step.post(ENROLL, {}, format="json").status_code == 401


def test_the_enrolment_step_token_dies_with_a_password_reset(anon, erin, adam, settings):
    from accounts.users import user_password_reset
    from tests.conftest import actor

    settings.MFA_REQUIRED_ROLES = ["compliance_officer"]
    step = _bearer(_login(anon, "erin").json()["enrolment_token"])
    user_password_reset(actor=actor(adam), user=erin)
    assert step.post(ENROLL, {}, format="json").status_code == 401
    assert pending_secret_of(User.objects.get(pk=erin.pk)) is None


def test_confirm_with_a_wrong_code_is_a_validation_error(api, alice):
    api(alice).post(ENROLL, {"password": PASSWORD}, format="json")
    response = api(alice).post(CONFIRM, {"code": "123456x"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "code"
    alice.refresh_from_db()
    assert not alice.mfa_enabled


def test_the_totp_seed_is_sealed_at_rest_and_bound_to_its_user(api, alice, bob):
    client = api(alice)
    uri = client.post(ENROLL, {"password": PASSWORD}, format="json").json()["otpauth_uri"]
    secret = _secret(uri)
    client.post(CONFIRM, {"code": totp.code_now(secret)}, format="json")
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_user")
        assert secret.encode() not in repr(cursor.fetchall()).encode()
    alice.refresh_from_db()
    assert totp_secret_of(alice) == secret
    # The sealed seed moved to another user's row does not open.
    User.objects.filter(pk=bob.pk).update(
        totp_key_id=alice.totp_key_id, totp_sealed=alice.totp_sealed
    )
    bob.refresh_from_db()
    with pytest.raises(IntegrityFailure):
        totp_secret_of(bob)


# --- what a stolen access token cannot do --------------------------------------------------------
def test_a_stolen_access_token_cannot_remove_or_replace_mfa(anon, alice, settings):
    settings.LOGIN_FAILURE_LIMIT = 100
    enrolled = enrol_totp(alice)
    sealed = bytes(alice.totp_sealed)
    thief = client_for(alice)  # the access token, and nothing else
    attempts = [
        thief.post(ENROLL, {}, format="json"),  # the old attack: re-enrol over the factor
        thief.post(ENROLL, {"password": "guess-password-1"}, format="json"),
        thief.post(REMOVE, {"password": "guess-password-1", "otp": "000000"}, format="json"),
        thief.post(REPLACE, {"password": "guess-password-1", "otp": "000000"}, format="json"),
        thief.post(CODES, {"otp": "000000"}, format="json"),
        thief.post(REMOVE, {}, format="json"),
        # Even with the phished password, the factor itself is needed.
        thief.post(REMOVE, {"password": PASSWORD}, format="json"),
        thief.post(REMOVE, {"password": PASSWORD, "otp": "000000"}, format="json"),
        thief.post(REPLACE, {"password": PASSWORD, "recovery_code": "aaaa-bbbb"}, format="json"),
    ]
    assert [r.status_code for r in attempts] == [409, 409, 403, 403, 403, 400, 403, 403, 403]
    assert attempts[0].json()["code"] == "mfa_already_enrolled"
    assert attempts[2].json()["code"] == "reauthentication_failed"
    alice.refresh_from_db()
    assert alice.mfa_enabled and bytes(alice.totp_sealed) == sealed
    assert alice.totp_pending_sealed is None
    assert RecoveryCode.objects.filter(user=alice, used_at__isnull=True).count() == 10
    # Password-only sign-in is still refused; the owner's factor still works.
    assert _login(anon, "alice").status_code == 401
    assert _login(anon, "alice", otp=totp.code_now(enrolled.secret)).status_code == 200
    assert _actions(alice) == ["mfa.enrol_start", "mfa.enrol"]


def test_a_stolen_access_token_cannot_enrol_an_attackers_device(alice):
    thief = client_for(alice)  # alice has no factor yet (her role does not require one)
    assert thief.post(ENROLL, {}, format="json").json()["code"] == "reauthentication_failed"
    wrong = thief.post(ENROLL, {"password": "guess-password-1"}, format="json")
    assert wrong.status_code == 403
    alice.refresh_from_db()
    assert alice.totp_pending_sealed is None and not alice.mfa_enabled


def test_reauthentication_guesses_run_into_the_lockout(alice, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    enrol_totp(alice)
    thief = client_for(alice)
    body = {"password": "guess-password-1", "otp": "000000"}
    codes = [thief.post(REMOVE, body, format="json") for _ in range(4)]
    assert [r.status_code for r in codes] == [403, 403, 403, 429]
    assert int(codes[-1]["Retry-After"]) >= settings.LOGIN_BACKOFF_BASE_SECONDS - 1


# --- replacing, removing, recovery codes ---------------------------------------------------------
def test_replace_keeps_the_old_factor_until_the_new_one_is_confirmed(anon, alice, monkeypatch):
    old = enrol_totp(alice)
    client = client_for(alice)
    started = client.post(
        REPLACE, {"password": PASSWORD, "otp": totp.code_now(old.secret)}, format="json"
    )
    assert started.status_code == 200, started.content
    new_secret = _secret(started.json()["otpauth_uri"])
    _later(monkeypatch)
    assert _login(anon, "alice", otp=totp.code_now(old.secret)).status_code == 200  # still on
    confirmed = client.post(CONFIRM, {"code": totp.code_now(new_secret)}, format="json")
    assert confirmed.status_code == 200, confirmed.content
    _later(monkeypatch, 60)
    assert _login(anon, "alice", otp=totp.code_now(old.secret)).status_code == 401
    assert _login(anon, "alice", otp=totp.code_now(new_secret)).status_code == 200
    # The recovery codes were renewed with the factor.
    assert _login(anon, "alice", recovery_code=old.recovery_codes[0]).status_code == 401
    new_code = confirmed.json()["recovery_codes"][0]
    assert _login(anon, "alice", recovery_code=new_code).status_code == 200
    assert _actions(alice)[-2:] == ["mfa.replace_start", "mfa.replace"]
    assert _announced(alice) == ["enrolled", "replaced"]


def test_removal_is_refused_where_mfa_is_required(erin, settings):
    settings.MFA_REQUIRED_ROLES = ["compliance_officer"]
    enrolled = enrol_totp(erin)
    body = {"password": PASSWORD, "otp": totp.code_now(enrolled.secret)}
    response = client_for(erin).post(REMOVE, body, format="json")
    assert response.status_code == 409 and response.json()["code"] == "mfa_required"
    erin.refresh_from_db()
    assert erin.mfa_enabled


def test_removal_with_password_and_a_recovery_code_where_mfa_is_optional(anon, alice):
    enrolled = enrol_totp(alice)
    body = {"password": PASSWORD, "recovery_code": enrolled.recovery_codes[3]}
    assert client_for(alice).post(REMOVE, body, format="json").status_code == 204
    alice.refresh_from_db()
    assert not alice.mfa_enabled and alice.totp_sealed is None
    assert not RecoveryCode.objects.filter(user=alice).exists()
    assert _login(anon, "alice").status_code == 200
    assert _actions(alice)[-1] == "mfa.remove" and _announced(alice) == ["enrolled", "removed"]


def test_recovery_codes_are_single_use_and_stored_hashed(anon, alice):
    codes = enrol_totp(alice).recovery_codes
    stored = list(RecoveryCode.objects.filter(user=alice).values_list("code_hash", flat=True))
    assert len(stored) == 10 and not set(codes) & set(stored)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_recoverycode")
        dump = repr(cursor.fetchall())
    assert not [c for c in codes if c in dump or c.replace("-", "") in dump]
    typed = codes[0].upper().replace("-", " ")  # case, spaces and dashes do not matter
    assert _login(anon, "alice", recovery_code=typed).status_code == 200
    assert _login(anon, "alice", recovery_code=codes[0]).status_code == 401
    assert _login(anon, "alice", recovery_code=codes[1]).status_code == 200
    status = client_for(alice).get("/api/v1/auth/mfa").json()
    assert status == {
        "enrolled": True,
        "mfa_required": False,
        "pending": False,
        "recovery_codes_remaining": 8,
    }
    reasons = AuditEvent.objects.filter(action="auth.failed").values_list("reason", flat=True)
    assert list(reasons) == ["bad_recovery_code"]


def test_recovery_codes_regenerate_with_a_current_code(anon, alice):
    enrolled = enrol_totp(alice)
    client = client_for(alice)
    assert client.post(CODES, {"otp": "000000"}, format="json").status_code == 403
    fresh = client.post(CODES, {"otp": totp.code_now(enrolled.secret)}, format="json")
    assert fresh.status_code == 200
    new = fresh.json()["recovery_codes"]
    assert len(new) == 10 and not set(new) & set(enrolled.recovery_codes)
    assert _login(anon, "alice", recovery_code=enrolled.recovery_codes[0]).status_code == 401
    assert _login(anon, "alice", recovery_code=new[0]).status_code == 200
    assert _announced(alice) == ["enrolled", "recovery_codes_regenerated"]


# --- resets: the operator only ever sends a user back to "must enrol" ---------------------------
def test_the_operator_command_only_resets_to_must_enrol(anon, alice):
    enrolled = enrol_totp(alice)
    token = access_token_for(alice)
    out = io.StringIO()
    call_command("mfa_reset", "alice", stdout=out)
    assert "otpauth" not in out.getvalue() and enrolled.secret not in out.getvalue()
    alice.refresh_from_db()
    assert not alice.mfa_enabled and alice.mfa_enrol_required and alice.totp_sealed is None
    assert not RecoveryCode.objects.filter(user=alice).exists()
    assert _bearer(token).get("/api/v1/me").status_code == 401  # every session ended
    # Her role does not require MFA, but the reset does: the next sign-in is the enrolment step.
    assert _login(anon, "alice", otp=totp.code_now(enrolled.secret)).status_code == 202
    reset = AuditEvent.objects.get(action="mfa.reset")
    assert reset.actor_kind == "system" and reset.actor_id == "operator"
    assert _announced(alice)[-1] == "reset"


def test_enroll_totp_is_gone_and_no_command_prints_a_seed():
    from django.core.management import get_commands

    assert "enroll_totp" not in get_commands()
    assert {"mfa_reset", "signin_unlock"} <= set(get_commands())


# --- the agency's policy -------------------------------------------------------------------------
def test_an_agency_admin_opts_out_explicitly_and_it_is_audited(anon, adam, alice, carol, settings):
    settings.MFA_REQUIRED_ROLES = ["caseworker", "agency_admin"]
    assert _login(anon, "alice").status_code == 202
    admin = client_for(adam)
    wrong = admin.put(
        "/api/v1/staff/mfa-policy", {"mfa_optional": True, "password": "nope-nope-1"}, format="json"
    )
    assert wrong.status_code == 403 and admin.get("/api/v1/staff/mfa-policy").json() == {
        "mfa_optional": False
    }
    ok = admin.put(
        "/api/v1/staff/mfa-policy", {"mfa_optional": True, "password": PASSWORD}, format="json"
    )
    assert ok.status_code == 200 and ok.json() == {"mfa_optional": True}
    assert _login(anon, "alice").status_code == 200
    assert _login(anon, "carol").status_code == 202  # another agency keeps the default
    event = AuditEvent.objects.get(action="mfa.policy")
    assert (event.reason, event.actor_id) == ("mfa_optional", str(adam.id))
    announced = OutboxEvent.objects.get(type="agency.mfa_policy_changed")
    assert announced.data["mfa_optional"] is True and announced.agency_id == adam.agency_id
    assert client_for(alice).get("/api/v1/staff/mfa-policy").status_code == 403
