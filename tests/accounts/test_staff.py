"""The staff lifecycle an agency admin runs from the API, and a user's own sessions and password
(issue 14, Deliver 2; issue 11's missing deactivation test)."""

from __future__ import annotations

from typing import Any

from django.db import connection
from rest_framework.test import APIClient

from accounts import totp
from accounts.models import PasswordToken, TokenFamily, User
from audit.models import AuditEvent
from tests.conftest import PASSWORD, client_for, enrol_totp

TOKEN, SET_PASSWORD = "/api/v1/auth/token", "/api/v1/auth/password/set"
STAFF = "/api/v1/staff/users"


def _login(username: str, password: str = PASSWORD, **extra: str) -> Any:
    body = {"username": username, "password": password, **extra}
    return APIClient().post(TOKEN, body, format="json")


def _bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def _audited(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def test_an_admin_lists_only_their_agencys_users(
    adam, alice, bob, carol, django_assert_max_num_queries
):
    with django_assert_max_num_queries(4):
        response = client_for(adam).get(STAFF)
    assert response.status_code == 200
    names = sorted(u["username"] for u in response.json()["results"])
    assert names == ["adam", "alice", "bob"]
    row = next(u for u in response.json()["results"] if u["username"] == "alice")
    assert row == {
        "id": str(alice.id),
        "username": "alice",
        "role": "caseworker",
        "is_active": True,
        "mfa_enrolled": False,
        "mfa_enrol_required": False,
        "password_set": True,
        "created_at": row["created_at"],
    }


def test_other_agencies_and_other_roles_get_nothing(adam, alice, carol, harbor):
    from accounts.models import User as U

    harbor_admin = U.objects.create_user(
        username="hadmin", password=PASSWORD, agency=harbor, role="agency_admin"
    )
    foreign = client_for(harbor_admin)
    for path in ("", "/deactivate", "/reset-password", "/reset-mfa", "/sessions"):
        method = foreign.get if path in ("", "/sessions") else foreign.post
        response = method(f"{STAFF}/{alice.id}{path}")
        assert response.status_code == 404, (path, response.content)
    assert client_for(alice).get(STAFF).status_code == 403
    alice.refresh_from_db()
    assert alice.is_active and alice.has_usable_password()


def test_an_invited_user_sets_a_password_once_and_signs_in(adam):
    invited = client_for(adam).post(
        STAFF, {"username": "nina", "role": "caseworker"}, format="json"
    )
    assert invited.status_code == 201, invited.content
    body = invited.json()
    token = body["set_password_token"]
    assert token.startswith("rhp_") and body["user"]["password_set"] is False
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_passwordtoken")
        assert token not in repr(cursor.fetchall())
    assert _login("nina", "").status_code in (400, 401)  # no password works yet
    weak = APIClient().post(
        SET_PASSWORD, {"token": token, "password": "q1w2e3r4t5y6"}, format="json"
    )
    assert weak.status_code == 400 and weak.json()["errors"][0]["field"] == "password"
    chosen = "a-long-and-new-phrase-7"
    done = APIClient().post(SET_PASSWORD, {"token": token, "password": chosen}, format="json")
    assert done.status_code == 204, done.content
    assert _login("nina", chosen).status_code == 200
    again = APIClient().post(
        SET_PASSWORD, {"token": token, "password": chosen + "x"}, format="json"
    )
    assert again.status_code == 401 and again.json()["code"] == "invalid_token"
    nina = User.objects.get(username="nina")
    assert nina.agency_id == adam.agency_id and nina.role == "caseworker"
    assert [e.reason for e in _audited("user.invite")] == ["caseworker"]
    assert len(_audited("user.password_set")) == 1


def test_an_expired_set_password_token_is_refused(adam, settings):
    settings.PASSWORD_TOKEN_HOURS = 0
    invited = client_for(adam).post(
        STAFF, {"username": "nina", "role": "caseworker"}, format="json"
    )
    token = invited.json()["set_password_token"]
    body = {"token": token, "password": "a-long-and-new-phrase-7"}
    assert APIClient().post(SET_PASSWORD, body, format="json").status_code == 401
    assert PasswordToken.objects.get().used_at is None


def test_deactivation_revokes_every_session_at_once(adam, alice):
    pairs = [_login("alice").json() for _ in range(3)]
    assert all(_bearer(p["access"]).get("/api/v1/me").status_code == 200 for p in pairs)
    response = client_for(adam).post(f"{STAFF}/{alice.id}/deactivate")
    assert response.status_code == 200 and response.json()["is_active"] is False
    # The next request of every session is 401, and no refresh token works.
    assert [_bearer(p["access"]).get("/api/v1/me").status_code for p in pairs] == [401] * 3
    for pair in pairs:
        refresh = APIClient().post(
            "/api/v1/auth/token/refresh", {"refresh": pair["refresh"]}, format="json"
        )
        assert refresh.status_code == 401
    families = TokenFamily.objects.filter(user=alice)
    assert {f.revoked_reason for f in families} == {"user_deactivated"}
    assert _login("alice").status_code == 401
    assert _audited("user.deactivate")[0].reason == "sessions_revoked=3"
    # Reactivation does not bring the old sessions back: they were revoked, not just paused.
    assert client_for(adam).post(f"{STAFF}/{alice.id}/reactivate").status_code == 200
    assert [_bearer(p["access"]).get("/api/v1/me").status_code for p in pairs] == [401] * 3
    assert _login("alice").status_code == 200
    assert len(_audited("user.activate")) == 1


def test_an_admin_cannot_deactivate_or_demote_themselves(adam):
    admin = client_for(adam)
    assert admin.post(f"{STAFF}/{adam.id}/deactivate").json()["code"] == "self"
    role = admin.post(f"{STAFF}/{adam.id}/role", {"role": "caseworker"}, format="json")
    assert role.status_code == 409
    adam.refresh_from_db()
    assert adam.is_active and adam.role == "agency_admin"


def test_a_role_change_applies_on_the_next_request(adam, alice):
    token = client_for(alice)
    assert token.get("/api/v1/clients").status_code == 200
    changed = client_for(adam).post(
        f"{STAFF}/{alice.id}/role", {"role": "compliance_officer"}, format="json"
    )
    assert changed.status_code == 200 and changed.json()["role"] == "compliance_officer"
    assert token.get("/api/v1/clients").status_code == 403
    assert _audited("user.role_change")[0].reason == "caseworker->compliance_officer"
    bad = client_for(adam).post(f"{STAFF}/{alice.id}/role", {"role": "root"}, format="json")
    assert bad.status_code == 400


def test_a_password_reset_ends_sessions_but_never_skips_the_second_factor(adam, alice, monkeypatch):
    secret = enrol_totp(alice).secret
    session = _login("alice", otp=totp.code_now(secret)).json()
    reset = client_for(adam).post(f"{STAFF}/{alice.id}/reset-password")
    assert reset.status_code == 200
    token = reset.json()["set_password_token"]
    assert _bearer(session["access"]).get("/api/v1/me").status_code == 401
    assert _login("alice").status_code == 401  # the old password is gone
    new = "a-long-and-new-phrase-8"
    APIClient().post(SET_PASSWORD, {"token": token, "password": new}, format="json")
    assert _login("alice", new).status_code == 401  # the admin's reset is no way around MFA
    future = __import__("time").time() + 30
    monkeypatch.setattr(totp.time, "time", lambda: future)
    assert _login("alice", new, otp=totp.code_now(secret)).status_code == 200
    assert _audited("user.password_reset")[0].reason == "sessions_revoked=1"


def test_an_mfa_reset_by_the_admin_forces_re_enrolment(adam, alice):
    enrol_totp(alice)
    session = client_for(alice)
    response = client_for(adam).post(f"{STAFF}/{alice.id}/reset-mfa")
    assert response.status_code == 200, response.content
    assert response.json()["mfa_enrolled"] is False and response.json()["mfa_enrol_required"]
    assert session.get("/api/v1/me").status_code == 401
    assert _login("alice").status_code == 202  # the enrolment step
    event = _audited("mfa.reset")[0]
    assert event.actor_id == str(adam.id) and event.object_id == str(alice.id)


def test_an_admin_lists_and_revokes_a_users_sessions(adam, alice):
    first, second = _login("alice").json(), _login("alice").json()
    sessions = client_for(adam).get(f"{STAFF}/{alice.id}/sessions")
    assert sessions.status_code == 200 and len(sessions.json()["results"]) == 2
    family = TokenFamily.objects.filter(user=alice).order_by("created_at").first()
    assert family is not None
    revoke = client_for(adam).post(f"{STAFF}/{alice.id}/sessions/{family.id}/revoke")
    assert revoke.status_code == 204
    assert _bearer(first["access"]).get("/api/v1/me").status_code == 401
    assert _bearer(second["access"]).get("/api/v1/me").status_code == 200
    left = client_for(adam).get(f"{STAFF}/{alice.id}/sessions").json()["results"]
    assert [s["id"] for s in left] != [str(family.id)] and len(left) == 1
    family.refresh_from_db()
    assert family.revoked_reason == "revoked_by_admin"
    # A session of another user is not found through alice.
    bob_family = TokenFamily.objects.create(user=adam)
    missing = client_for(adam).post(f"{STAFF}/{alice.id}/sessions/{bob_family.id}/revoke")
    assert missing.status_code == 404


def test_a_user_lists_and_revokes_their_own_sessions(alice, bob):
    phone, laptop = _login("alice").json(), _login("alice").json()
    mine = _bearer(laptop["access"])
    listed = mine.get("/api/v1/me/sessions").json()["results"]
    assert len(listed) == 2 and [s["current"] for s in listed] == [True, False]
    other = listed[1]["id"]
    assert mine.post(f"/api/v1/me/sessions/{other}/revoke").status_code == 204
    assert _bearer(phone["access"]).get("/api/v1/me").status_code == 401
    assert mine.get("/api/v1/me").status_code == 200
    _login("bob")
    foreign = TokenFamily.objects.get(user=bob)
    mine_now = mine.get("/api/v1/me/sessions").json()["results"]
    assert str(foreign.id) not in {s["id"] for s in mine_now}
    assert mine.post(f"/api/v1/me/sessions/{foreign.id}/revoke").status_code == 404


def test_changing_your_own_password_ends_your_other_sessions(alice):
    other, current = _login("alice").json(), _login("alice").json()
    me = _bearer(current["access"])
    wrong = me.post(
        "/api/v1/me/password",
        {"current_password": "not-it-at-all-1", "new_password": "a-long-and-new-phrase-9"},
        format="json",
    )
    assert wrong.status_code == 403
    common = me.post(
        "/api/v1/me/password",
        {"current_password": PASSWORD, "new_password": "q1w2e3r4t5y6"},
        format="json",
    )
    assert common.status_code == 400 and "common" in common.json()["detail"]
    done = me.post(
        "/api/v1/me/password",
        {"current_password": PASSWORD, "new_password": "a-long-and-new-phrase-9"},
        format="json",
    )
    assert done.status_code == 200 and done.json() == {"other_sessions_revoked": 1}
    assert _bearer(other["access"]).get("/api/v1/me").status_code == 401
    assert me.get("/api/v1/me").status_code == 200
    assert _login("alice").status_code == 401
    assert _login("alice", "a-long-and-new-phrase-9").status_code == 200
