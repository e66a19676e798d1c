"""A verified access token is remembered per process (api/tokens.py `_verified`), but nothing
that can change is: expiry is checked against the clock, and who the caller is, their session,
role and agency come from the database on every request."""

from __future__ import annotations

import uuid
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import TokenFamily
from api import tokens
from core.errors import AuthenticationFailed


@pytest.fixture(autouse=True)
def _fresh_memory():
    tokens._verified.cache_clear()
    yield
    tokens._verified.cache_clear()


def _token_for(user, *, seconds: int = 60) -> str:  # type: ignore[no-untyped-def]
    family = TokenFamily.objects.create(id=uuid.uuid4(), user=user)
    token = AccessToken()
    token["sub"], token["fam"], token["kind"] = str(user.id), str(family.id), "user"
    token.set_exp(lifetime=timedelta(seconds=seconds))
    return str(token)


def _code(response) -> str:  # type: ignore[no-untyped-def]
    return str(response.json()["code"])


def test_a_remembered_token_is_refused_once_its_expiry_passes(anon, alice):
    bearer = f"Bearer {_token_for(alice, seconds=60)}"
    assert anon.get("/api/v1/me", HTTP_AUTHORIZATION=bearer).status_code == 200
    assert tokens._verified.cache_info().currsize == 1  # remembered after one verification
    later = timezone.now() + timedelta(seconds=61)
    with mock.patch("api.tokens.aware_utcnow", return_value=later):
        response = anon.get("/api/v1/me", HTTP_AUTHORIZATION=bearer)
    assert response.status_code == 401 and _code(response) == "token_expired"
    assert response.json()["detail"] == "The access token has expired."


def test_a_remembered_token_dies_with_its_session(anon, alice):
    bearer = f"Bearer {_token_for(alice)}"
    assert anon.get("/api/v1/me", HTTP_AUTHORIZATION=bearer).json()["username"] == alice.username
    TokenFamily.objects.filter(user=alice).update(revoked_at=timezone.now())
    response = anon.get("/api/v1/me", HTTP_AUTHORIZATION=bearer)
    assert response.status_code == 401 and _code(response) == "token_revoked"
    assert tokens._verified.cache_info().hits == 1  # the decode came from memory; the DB said no


def test_a_remembered_token_follows_a_role_change_at_once(anon, alice):
    bearer = f"Bearer {_token_for(alice)}"
    assert anon.get("/api/v1/me", HTTP_AUTHORIZATION=bearer).json()["role"] == "caseworker"
    alice.role = "compliance_officer"
    alice.save(update_fields=["role"])
    assert anon.get("/api/v1/me", HTTP_AUTHORIZATION=bearer).json()["role"] == "compliance_officer"


def test_a_tampered_copy_of_a_remembered_token_is_still_verified(anon, alice):
    raw = _token_for(alice)
    assert anon.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    head, payload, signature = raw.split(".")
    forged = f"{head}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    response = anon.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {forged}")
    assert response.status_code == 401 and _code(response) == "token_invalid"
    assert tokens._verified.cache_info().currsize == 1  # a failure is never remembered


def test_another_signing_key_is_another_memory(alice):
    raw = _token_for(alice)
    assert tokens.decode_access(raw)["sub"] == str(alice.id)
    current = tokens._backend()
    rotated = TokenBackend(
        "HS256", "another-key-" + "x" * 40, audience=current.audience, issuer=current.issuer
    )
    with (
        mock.patch.object(AccessToken, "_token_backend", rotated),
        pytest.raises(AuthenticationFailed) as refused,
    ):
        tokens.decode_access(raw)
    assert refused.value.code == "token_invalid"
    assert tokens.decode_access(raw)["sub"] == str(alice.id)


def test_callers_cannot_change_what_is_remembered(alice):
    raw = _token_for(alice)
    claims = tokens.decode_access(raw)
    claims["sub"] = str(uuid.uuid4())
    assert tokens.decode_access(raw)["sub"] == str(alice.id)
