"""Attacks on tokens and sign-in (OWASP API2; ASVS 5.0 V9 self-contained tokens).

tests/accounts/test_tokens.py covers the basics (expired, wrong aud/iss, alg none, a tampered
payload, refresh as access, reuse of a rotated refresh, per-username and per-address login
throttles, a deactivated user or agency). This file adds the attack list of issue 8: algorithm
confusion and header injection, time claims, token-type and subject confusion, refresh replay
after sign-out, brute force on the client-credentials grant, and changes that must take effect
mid-session (deactivation, scope and role changes, sign-out of one device).
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.models import TokenFamily
from api import tokens
from tests.conftest import PASSWORD, access_token_for

ME = "/api/v1/me"
CLIENTS = "/api/v1/clients"


def _status(token: str, url: str = ME) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.get(url).status_code


def _claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _sign(claims: dict[str, Any], alg: str = "HS256", key: Any = None, **headers: Any) -> str:
    return jwt.encode(
        claims, key if key is not None else settings.JWT_SIGNING_KEY, algorithm=alg, headers=headers
    )


def _login(username: str = "alice") -> dict[str, Any]:
    response = APIClient().post(
        "/api/v1/auth/token", {"username": username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()  # type: ignore[no-any-return]


def _refresh(refresh: str) -> Any:
    return APIClient().post("/api/v1/auth/token/refresh", {"refresh": refresh}, format="json")


# --- algorithm confusion and header injection --------------------------------------------------
def test_the_genuine_token_works_so_the_refusals_below_mean_something(alice):
    claims = _claims(access_token_for(alice))
    assert _status(_sign(claims)) == 200


@pytest.mark.parametrize("alg", ["HS384", "HS512"])
def test_the_right_key_with_another_hmac_algorithm_is_refused(alice, alg):
    claims = _claims(access_token_for(alice))
    assert _status(_sign(claims, alg)) == 401


@pytest.mark.parametrize("claimed", ["RS256", "ES256", "PS256", "EdDSA", "HS512", "none", "None"])
def test_changing_the_alg_header_of_a_genuine_token_is_refused(alice, claimed):
    header, payload, signature = access_token_for(alice).split(".")
    forged = json.loads(base64.urlsafe_b64decode(header + "=="))
    forged["alg"] = claimed
    assert _status(f"{_b64(json.dumps(forged).encode())}.{payload}.{signature}") == 401


def test_hmac_key_presented_as_an_rsa_or_ec_public_key_is_refused(alice):
    """The classic confusion: sign RS256/ES256 "verified" with the shared secret as public key.

    PyJWT refuses to sign HMAC keys as asymmetric ones, so the forger builds the token by hand:
    an HMAC-SHA256 signature under our secret, labelled RS256 / ES256.
    """
    import hashlib
    import hmac

    claims = _claims(access_token_for(alice))
    for alg in ("RS256", "ES256"):
        head = _b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
        body = _b64(json.dumps(claims).encode())
        mac = hmac.new(
            settings.JWT_SIGNING_KEY.encode(), f"{head}.{body}".encode(), hashlib.sha256
        ).digest()
        assert _status(f"{head}.{body}.{_b64(mac)}") == 401, alg


def test_a_token_signed_by_an_attacker_key_named_in_jwk_jku_or_kid_is_refused(alice):
    claims = _claims(access_token_for(alice))
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key()))
    ec_key = ec.generate_private_key(ec.SECP256R1())
    attempts = [
        _sign(claims, "RS256", rsa_key, jwk=jwk),
        _sign(claims, "RS256", rsa_key, jku="https://attacker.example/jwks.json", kid="k1"),
        _sign(claims, "ES256", ec_key, x5u="https://attacker.example/cert.pem"),
        _sign(claims, "HS256", "attacker-secret-0123456789abcdef", kid="../../../../dev/null"),
        _sign(claims, "HS256", "attacker-secret-0123456789abcdef", kid="x' UNION SELECT 'k"),
    ]
    pem = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert pem  # the attacker's public key is all a confused verifier would need
    for token in attempts:
        assert _status(token) == 401


def test_injected_kid_and_jku_headers_are_ignored_not_followed(alice):
    """A genuinely signed token with extra key-selection headers still verifies with our one
    pinned key: the headers select nothing (no key lookup, no fetch)."""
    claims = _claims(access_token_for(alice))
    token = _sign(claims, kid="../../etc/passwd", jku="http://127.0.0.1:9/jwks.json")
    assert _status(token) == 200


def test_a_signature_stripped_token_is_refused(alice):
    header, payload, _signature = access_token_for(alice).split(".")
    assert _status(f"{header}.{payload}.") == 401
    assert _status(f"{header}.{payload}") == 401


# --- time claims --------------------------------------------------------------------------------
def test_a_token_without_exp_is_refused(alice):
    claims = _claims(access_token_for(alice))
    del claims["exp"]
    assert _status(_sign(claims)) == 401


def test_a_token_not_yet_valid_is_refused(alice):
    claims = _claims(access_token_for(alice)) | {"nbf": int(time.time()) + 120}
    assert _status(_sign(claims)) == 401


def test_a_token_issued_in_the_future_is_refused(alice):
    now = int(time.time())
    claims = _claims(access_token_for(alice)) | {"iat": now + 3600, "exp": now + 3900}
    assert _status(_sign(claims)) == 401


def test_a_token_without_audience_or_issuer_is_refused(alice):
    for missing in ("aud", "iss"):
        claims = _claims(access_token_for(alice))
        del claims[missing]
        assert _status(_sign(claims)) == 401, missing


def test_an_audience_list_with_another_api_first_still_needs_ours(alice):
    claims = _claims(access_token_for(alice)) | {"aud": ["some-other-api"]}
    assert _status(_sign(claims)) == 401


# --- type and subject confusion ------------------------------------------------------------------
def test_an_access_token_is_not_a_refresh_token(anon, alice):
    access = _login()["access"]
    response = _refresh(access)
    assert response.status_code == 401


def test_an_integration_token_relabelled_as_a_user_is_refused(eastside, make_integration, alice):
    integration = make_integration(eastside, scopes=["clients:read"])
    token = tokens.integration_access(integration)
    claims = _claims(token)
    # Without the key: the signature breaks.
    header, _payload, signature = token.split(".")
    relabelled = _b64(json.dumps(claims | {"kind": "user"}).encode())
    assert _status(f"{header}.{relabelled}.{signature}") == 401
    # Even re-signed by someone holding the key: the subject is no user, and no family exists.
    family = TokenFamily.objects.create(id=uuid.uuid4(), user=alice)
    as_user = claims | {"kind": "user", "fam": str(family.id)}
    assert _status(_sign(as_user)) == 401


def test_a_user_token_relabelled_as_an_integration_is_refused(alice):
    claims = _claims(access_token_for(alice)) | {"kind": "integration", "scope": "clients:read"}
    assert _status(_sign(claims)) == 401


@pytest.mark.parametrize("kind", [None, "system", "admin", ""])
def test_unknown_or_missing_kind_is_refused(alice, kind):
    claims = _claims(access_token_for(alice))
    if kind is None:
        del claims["kind"]
    else:
        claims["kind"] = kind
    assert _status(_sign(claims)) == 401


def test_a_user_token_bound_to_someone_elses_family_is_refused(alice, bob):
    claims = _claims(access_token_for(alice))
    bobs_family = _claims(access_token_for(bob))["fam"]
    assert _status(_sign(claims | {"fam": bobs_family})) == 401


def test_claims_in_the_token_grant_nothing(alice):
    """Role, agency and scopes come from the database; claims a forger adds are ignored."""
    claims = _claims(access_token_for(alice)) | {
        "role": "supervisor",
        "agency": str(uuid.uuid4()),
        "scope": "audit:read webhooks:write",
        "is_superuser": True,
    }
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {_sign(claims)}")
    me = client.get(ME).json()
    assert me["role"] == "caseworker" and me["scopes"] == []
    assert client.get("/api/v1/audit/events").status_code == 403


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer a b", "Basic YWxpY2U6eA==", "Bearer \u00e9\u00e9.\u00e9.\u00e9", "Token x"],
)
def test_malformed_authorization_headers_never_authenticate(alice, header):
    client = APIClient()
    response = client.get(ME, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


# --- refresh replay ---------------------------------------------------------------------------
def test_a_signed_out_refresh_token_cannot_be_replayed_and_kills_nothing_else(alice):
    phone = _login()
    laptop = _login()
    assert (
        APIClient()
        .post("/api/v1/auth/token/revoke", {"refresh": phone["refresh"]}, format="json")
        .status_code
        == 204
    )
    assert _refresh(phone["refresh"]).status_code == 401
    assert _status(phone["access"]) == 401
    # The other device's family is untouched.
    assert _status(laptop["access"]) == 200
    assert _refresh(laptop["refresh"]).status_code == 200


def test_a_refresh_token_with_a_forged_jti_is_refused(alice):
    refresh = _login()["refresh"]
    claims = _claims(refresh) | {"jti": uuid.uuid4().hex}
    assert _refresh(_sign(claims)).status_code == 401


def test_a_deactivated_user_cannot_refresh(alice):
    pair = _login()
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    assert _refresh(pair["refresh"]).status_code == 401


def test_replaying_a_rotated_refresh_after_the_thief_used_it_first(alice):
    """The attacker rotates the stolen token first; the victim's retry then kills the family,
    taking the attacker's fresh tokens with it."""
    stolen = _login()["refresh"]
    attacker = _refresh(stolen).json()
    assert _status(attacker["access"]) == 200
    assert _refresh(stolen).status_code == 401  # the victim's (or anyone's) replay
    assert _status(attacker["access"]) == 401
    assert _refresh(attacker["refresh"]).status_code == 401


# --- brute force -------------------------------------------------------------------------------
@pytest.fixture
def tight_anon_rate(settings):  # type: ignore[no-untyped-def]
    settings.THROTTLE_ACTOR_RATE, settings.THROTTLE_ANON_RATE = "1000/min", "5/min"
    cache.clear()
    yield
    cache.clear()


def test_client_secret_guessing_is_throttled_per_address(
    eastside, make_integration, tight_anon_rate
):
    integration = make_integration(eastside, scopes=["clients:read"])
    guesses = [
        APIClient()
        .post(
            "/api/v1/auth/client-token",
            {"client_id": integration.client_id, "client_secret": f"guess-{n}"},
            format="json",
        )
        .status_code
        for n in range(7)
    ]
    assert guesses[:5] == [401] * 5 and guesses[5:] == [429, 429]


def test_login_throttle_counts_failures_not_successes(alice, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(5):
        _login()  # successes do not lock the account
    client = APIClient()
    for _ in range(3):
        bad = {"username": "alice", "password": "wrong-password-x"}
        assert client.post("/api/v1/auth/token", bad, format="json").status_code == 401
    locked = client.post(
        "/api/v1/auth/token", {"username": "alice", "password": PASSWORD}, format="json"
    )
    assert locked.status_code == 429 and locked.json()["code"] == "login_throttled"


def test_username_variants_are_no_way_around_the_lock(alice, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    client = APIClient()
    bad = {"username": "alice", "password": "wrong-password-x"}
    for _ in range(3):
        assert client.post("/api/v1/auth/token", bad, format="json").status_code == 401

    def login(username: str) -> int:
        body = {"username": username, "password": PASSWORD}
        return client.post("/api/v1/auth/token", body, format="json").status_code

    assert login("ALICE") == 401  # usernames are exact: a variant is not alice at all
    assert login(" alice ") == 429  # trimmed to alice, who is locked


# --- changes that take effect mid-session -------------------------------------------------------
def test_a_deactivated_integration_loses_access_mid_session(eastside, make_integration):
    integration = make_integration(eastside, scopes=["clients:read"])
    token = tokens.integration_access(integration)
    assert _status(token, CLIENTS) == 200
    integration.is_active = False
    integration.save(update_fields=["is_active"])
    assert _status(token, CLIENTS) == 401
    assert _status(token) == 401


def test_an_integrations_agency_deactivated_mid_session(eastside, make_integration):
    token = tokens.integration_access(make_integration(eastside, scopes=["clients:read"]))
    eastside.is_active = False
    eastside.save(update_fields=["is_active"])
    assert _status(token) == 401


def test_scopes_removed_mid_session_apply_at_once(eastside, make_integration):
    integration = make_integration(eastside, scopes=["clients:read"])
    token = tokens.integration_access(integration)  # the token still says clients:read
    assert _status(token, CLIENTS) == 200
    integration.scopes = ["referrals:read"]
    integration.save(update_fields=["scopes"])
    assert _status(token, CLIENTS) == 403


def test_a_role_change_mid_session_removes_client_access_at_once(alice):
    token = access_token_for(alice)
    assert _status(token, CLIENTS) == 200
    alice.role = "agency_admin"
    alice.save(update_fields=["role"])
    assert _status(token, CLIENTS) == 403


def test_a_user_moved_to_another_agency_sees_the_new_agency_only(
    alice, harbor, make_client, eastside
):
    client = make_client(eastside)
    token = access_token_for(alice)
    assert _status(token, f"{CLIENTS}/{client.id}") == 200
    alice.agency = harbor
    alice.save(update_fields=["agency"])
    assert _status(token, f"{CLIENTS}/{client.id}") == 404


def test_sign_out_mid_session_kills_the_access_token_at_once(alice):
    pair = _login()
    assert _status(pair["access"], CLIENTS) == 200
    APIClient().post("/api/v1/auth/token/revoke", {"refresh": pair["refresh"]}, format="json")
    assert _status(pair["access"], CLIENTS) == 401
