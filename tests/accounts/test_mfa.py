"""TOTP multi-factor authentication."""

from __future__ import annotations

import time

import pytest

from accounts import totp
from accounts.models import User
from accounts.services import totp_secret_of, totp_set_secret
from tests.conftest import PASSWORD


def _login(client, username, **extra):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/auth/token", {"username": username, "password": PASSWORD, **extra}, format="json"
    )


def _enrol(api, user: User) -> str:  # type: ignore[no-untyped-def]
    uri = api(user).post("/api/v1/auth/mfa/enroll").json()["otpauth_uri"]
    secret = uri.split("secret=")[1].split("&")[0]
    confirm = api(user).post(
        "/api/v1/auth/mfa/confirm", {"code": totp.code_now(secret)}, format="json"
    )
    assert confirm.status_code == 204, confirm.content
    return secret


def test_totp_matches_the_rfc6238_reference_vector():
    # RFC 6238 appendix B, SHA-1, T=59 s -> 94287082 (8 digits); our 6-digit code is its tail.
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    assert totp.code_now(secret, at=59) == "287082"


def test_a_required_role_without_mfa_cannot_get_tokens(anon, erin, settings):
    settings.MFA_REQUIRED_ROLES = ["compliance_officer"]
    response = _login(anon, "erin")
    assert response.status_code == 403
    assert response.json()["code"] == "mfa_enrollment_required"


def test_an_enrolled_user_needs_a_current_code(anon, api, erin, settings, monkeypatch):
    settings.MFA_REQUIRED_ROLES = ["compliance_officer"]
    settings.LOGIN_FAILURE_LIMIT = 100
    User.objects.filter(pk=erin.pk).update(totp_last_step=0)
    secret = _enrol(api, erin)
    assert _login(anon, "erin").json()["code"] == "mfa_required"
    assert _login(anon, "erin", otp="000000").status_code == 401
    # The confirm step used the current code, so replaying it is refused ...
    assert _login(anon, "erin", otp=totp.code_now(secret)).status_code == 401
    # ... and, 30 seconds later, the next step's code works once.
    future = time.time() + 30
    monkeypatch.setattr(totp.time, "time", lambda: future)
    code = totp.code_now(secret)
    assert _login(anon, "erin", otp=code).status_code == 200
    assert _login(anon, "erin", otp=code).status_code == 401


def test_a_code_cannot_be_replayed(anon, api, alice, settings):
    secret = totp.new_secret()
    now_step = int(time.time() // 30)
    totp_set_secret(user=alice, secret=secret, confirmed=True, last_step=now_step - 2)
    code = totp.code_now(secret)
    assert _login(anon, "alice", otp=code).status_code == 200
    assert _login(anon, "alice", otp=code).status_code == 401


def test_confirm_with_a_wrong_code_is_a_validation_error(api, alice):
    api(alice).post("/api/v1/auth/mfa/enroll")
    response = api(alice).post("/api/v1/auth/mfa/confirm", {"code": "123456x"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "code"


def test_the_totp_seed_is_sealed_at_rest_and_bound_to_its_user(api, alice, bob):
    from django.db import connection

    from core.errors import IntegrityFailure

    uri = api(alice).post("/api/v1/auth/mfa/enroll").json()["otpauth_uri"]
    secret = uri.split("secret=")[1].split("&")[0]
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
