"""Sign-in, token validation and refresh-token families."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import TokenFamily
from tests.conftest import PASSWORD, access_token_for


def _login(client: APIClient, username: str, password: str = PASSWORD, **extra):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/auth/token", {"username": username, "password": password, **extra}, format="json"
    )


def _me(token: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.get("/api/v1/me").status_code


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def test_it_issues_a_short_lived_pair_that_reaches_me(anon, alice):
    response = _login(anon, "alice")
    assert response.status_code == 200, response.content
    body = response.json()
    claims = _claims(body["access"])
    assert claims["exp"] - claims["iat"] <= 300
    assert claims["aud"] == settings.JWT_AUDIENCE and claims["iss"] == settings.JWT_ISSUER
    assert jwt.get_unverified_header(body["access"])["alg"] == "HS256"
    assert _me(body["access"]) == 200


def test_it_rejects_a_wrong_password_with_a_problem(anon, alice):
    response = _login(anon, "alice", "wrong-password-123")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


def test_unknown_user_and_wrong_password_look_the_same(anon, alice):
    unknown = _login(anon, "nobody", "whatever-password")
    wrong = _login(anon, "alice", "whatever-password")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json()["code"] == wrong.json()["code"]


def test_it_throttles_repeated_failures_per_username(anon, alice, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        assert _login(anon, "alice", "bad-password-000").status_code == 401
    blocked = _login(anon, "alice")  # even the right password
    assert blocked.status_code == 429
    assert blocked.json()["code"] == "login_throttled"


def test_it_throttles_repeated_failures_per_address(anon, alice, bob, settings):
    settings.LOGIN_FAILURE_IP_LIMIT = 2
    assert _login(anon, "alice", "bad-password-000").status_code == 401
    assert _login(anon, "bob", "bad-password-000").status_code == 401
    assert _login(anon, "carol-does-not-exist", "x" * 12).status_code == 429


def test_it_rejects_an_expired_access_token(alice):
    token = AccessToken(access_token_for(alice))
    token.set_exp(lifetime=-timedelta(seconds=1))
    assert _me(str(token)) == 401


def test_it_rejects_a_token_for_another_audience(alice):
    claims = _claims(access_token_for(alice)) | {"aud": "some-other-api"}
    forged = jwt.encode(claims, settings.JWT_SIGNING_KEY, algorithm="HS256")
    assert _me(forged) == 401


def test_it_rejects_a_token_from_another_issuer(alice):
    claims = _claims(access_token_for(alice)) | {"iss": "evil"}
    assert _me(jwt.encode(claims, settings.JWT_SIGNING_KEY, algorithm="HS256")) == 401


def test_it_rejects_alg_none(alice):
    claims = _claims(access_token_for(alice))
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    assert _me(unsigned) == 401


def test_it_rejects_a_tampered_token(alice, bob):
    token = access_token_for(alice)
    header, _payload, signature = token.split(".")
    claims = _claims(token) | {"sub": str(bob.id)}
    assert _me(f"{header}.{_b64(claims)}.{signature}") == 401


def test_it_rejects_a_refresh_token_used_as_an_access_token(anon, alice):
    refresh = _login(anon, "alice").json()["refresh"]
    assert _me(refresh) == 401


def test_a_deactivated_user_loses_access_at_once(alice):
    token = access_token_for(alice)
    assert _me(token) == 200
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    assert _me(token) == 401


def test_a_deactivated_agency_loses_access_at_once(alice, eastside):
    token = access_token_for(alice)
    eastside.is_active = False
    eastside.save(update_fields=["is_active"])
    assert _me(token) == 401


def test_role_is_read_from_the_database_not_the_token(alice):
    token = access_token_for(alice)
    alice.role = "supervisor"
    alice.save(update_fields=["role"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get("/api/v1/me").json()["role"] == "supervisor"


def test_refresh_rotates_and_reuse_revokes_the_whole_family(anon, alice):
    first = _login(anon, "alice").json()
    rotated = anon.post("/api/v1/auth/token/refresh", {"refresh": first["refresh"]}, format="json")
    assert rotated.status_code == 200
    second = rotated.json()
    assert second["refresh"] != first["refresh"]
    assert _me(second["access"]) == 200

    replay = anon.post("/api/v1/auth/token/refresh", {"refresh": first["refresh"]}, format="json")
    assert replay.status_code == 401
    assert replay.json()["code"] == "token_revoked"
    # The thief's replay killed the family: the legitimate newer tokens die with it.
    assert _me(second["access"]) == 401
    again = anon.post("/api/v1/auth/token/refresh", {"refresh": second["refresh"]}, format="json")
    assert again.status_code == 401
    assert TokenFamily.objects.get().revoked_reason == "refresh_reuse"


def test_revoke_signs_out_the_family(anon, alice):
    pair = _login(anon, "alice").json()
    response = anon.post("/api/v1/auth/token/revoke", {"refresh": pair["refresh"]}, format="json")
    assert response.status_code == 204
    assert _me(pair["access"]) == 401
    refresh = anon.post("/api/v1/auth/token/refresh", {"refresh": pair["refresh"]}, format="json")
    assert refresh.status_code == 401


def test_a_garbage_refresh_token_is_401(anon):
    response = anon.post("/api/v1/auth/token/refresh", {"refresh": "not-a-jwt"}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "token_invalid"


@pytest.mark.django_db
def test_client_credentials_give_a_scoped_token(anon, eastside, make_integration):
    from accounts.integrations import integration_create
    from tests.conftest import actor

    integration, secret = integration_create(
        actor=actor(make_integration(eastside)),
        agency=eastside,
        name="cms",
        scopes=["referrals:read"],
    )
    response = anon.post(
        "/api/v1/auth/client-token",
        {"client_id": integration.client_id, "client_secret": secret},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["scope"] == "referrals:read"
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    me = client.get("/api/v1/me").json()
    assert me["kind"] == "integration" and me["scopes"] == ["referrals:read"]
    assert me["agency"]["id"] == str(eastside.id)

    wrong = anon.post(
        "/api/v1/auth/client-token",
        {"client_id": integration.client_id, "client_secret": secret + "x"},
        format="json",
    )
    assert wrong.status_code == 401 and wrong.json()["code"] == "invalid_client"

    integration.is_active = False
    integration.save(update_fields=["is_active"])
    assert client.get("/api/v1/me").status_code == 401


@pytest.mark.postgres
def test_the_actor_lookup_is_prepared_once_and_a_sign_out_still_bites_next_request(anon, alice):
    """Every request resolves the actor from the database (a server-side prepared statement on
    PostgreSQL: planned once per connection, executed each time); nothing is cached."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    pair = _login(anon, "alice").json()

    def auth_statements() -> list[str]:
        with CaptureQueriesContext(connection) as ctx:
            assert _me(pair["access"]) == 200
        return [q["sql"] for q in ctx.captured_queries if "rh_joined_" in q["sql"]]

    first, second = auth_statements(), auth_statements()
    assert len(first) == 1 and first[0].startswith(("PREPARE", "EXECUTE"))
    assert len(second) == 1 and second[0].startswith("EXECUTE rh_joined_")
    revoked = anon.post("/api/v1/auth/token/revoke", {"refresh": pair["refresh"]}, format="json")
    assert revoked.status_code == 204
    assert _me(pair["access"]) == 401  # the next request, through the same prepared statement
