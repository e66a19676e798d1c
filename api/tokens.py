"""JWT issue and validation on top of simplejwt: algorithm pinned, `aud`/`iss`/type checked.

Three token types, never interchangeable (simplejwt checks `token_type`): `access`, `refresh`
and `mfa_enrol`, the limited token of the enrolment step, which only the two enrolment views
accept, for `MFA_ENROLMENT_SECONDS`.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from rest_framework_simplejwt.exceptions import ExpiredTokenError, TokenError
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken, Token

from accounts.models import Integration, TokenFamily, User
from accounts.sessions import new_jti
from core.errors import AuthenticationFailed


class EnrolmentToken(Token):
    """The enrolment step: signed like the others, accepted only by the MFA enrolment views."""

    token_type = "mfa_enrol"

    @property
    def lifetime(self) -> timedelta:  # type: ignore[override]
        return timedelta(seconds=settings.MFA_ENROLMENT_SECONDS)


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


def _refused(exc: TokenError, what: str) -> AuthenticationFailed:
    """`token_expired` for a well-signed token past its `exp`, `token_invalid` for the rest."""
    if isinstance(exc, ExpiredTokenError):
        return AuthenticationFailed(f"The {what} has expired.", code="token_expired")
    return AuthenticationFailed(f"The {what} is invalid.", code="token_invalid")


def decode_refresh(raw: str) -> dict[str, Any]:
    try:
        return dict(RefreshToken(raw).payload)  # type: ignore[arg-type]
    except TokenError as exc:
        raise _refused(exc, "refresh token") from exc


def decode_access(raw: str) -> dict[str, Any]:
    try:
        return dict(AccessToken(raw).payload)  # type: ignore[arg-type]
    except TokenError as exc:
        raise _refused(exc, "access token") from exc


def password_mark(user: User) -> str:
    """Changes whenever the password does: an enrolment token dies with a password reset."""
    return hashlib.sha256(f"enrol|{user.password}".encode()).hexdigest()[:16]


def enrolment_token(user: User) -> str:
    token = EnrolmentToken()
    token["sub"] = str(user.id)
    token["kind"] = "user"
    token["pwm"] = password_mark(user)
    return str(token)


def decode_enrolment(raw: str) -> dict[str, Any]:
    try:
        return dict(EnrolmentToken(raw).payload)  # type: ignore[arg-type]
    except TokenError as exc:
        raise _refused(exc, "enrolment token") from exc
