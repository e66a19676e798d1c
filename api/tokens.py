"""JWT issue and validation on top of simplejwt: algorithm pinned, `aud`/`iss`/type checked."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.models import Integration, TokenFamily, User
from accounts.services import new_jti
from core.errors import AuthenticationFailed


def _aware(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def user_access(user: User, family: TokenFamily) -> str:
    token = AccessToken()
    token["sub"] = str(user.id)
    token["fam"] = str(family.id)
    token["kind"] = "user"
    return str(token)


def new_refresh(subject: str, family_id: str) -> tuple[str, str, datetime]:
    """A refresh token with a fresh `jti`: (token, jti, expires_at)."""
    token = RefreshToken()
    jti = new_jti()
    token["jti"] = jti
    token["sub"] = subject
    token["fam"] = family_id
    return str(token), jti, _aware(int(token["exp"]))


def integration_access(integration: Integration) -> str:
    token = AccessToken()
    token["sub"] = str(integration.id)
    token["kind"] = "integration"
    token["scope"] = " ".join(integration.scopes)
    return str(token)


def decode_refresh(raw: str) -> dict[str, Any]:
    try:
        return dict(RefreshToken(raw).payload)  # type: ignore[arg-type]
    except TokenError as exc:
        raise AuthenticationFailed(
            "The refresh token is invalid or expired.", code="token_not_valid"
        ) from exc


def decode_access(raw: str) -> dict[str, Any]:
    try:
        return dict(AccessToken(raw).payload)  # type: ignore[arg-type]
    except TokenError as exc:
        raise AuthenticationFailed(
            "The access token is invalid or expired.", code="token_not_valid"
        ) from exc
