"""JWT issue and validation on top of simplejwt: algorithm pinned, `aud`/`iss`/type checked.

Three token types, never interchangeable (simplejwt checks `token_type`): `access`, `refresh`
and `mfa_enrol`, the limited token of the enrolment step, which only the two enrolment views
accept, for `MFA_ENROLMENT_SECONDS`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from types import MappingProxyType
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import ExpiredTokenError, TokenError
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken, Token
from rest_framework_simplejwt.utils import aware_utcnow, datetime_from_epoch

from accounts.models import Integration, TokenFamily, User
from accounts.sessions import new_jti
from core.errors import AuthenticationFailed

# Access tokens remembered per process after one full verification (`decode_access`): at most
# a few hundred bytes each; a token lives at most ACCESS_TOKEN_LIFETIME (5 minutes).
VERIFIED_TOKENS = 4096


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
    """The claims of a valid access token; `exp` is checked on every call.

    A token that verified once is remembered (`_verified`) so that the next request with it
    skips signature, base64 and claim parsing (about 90 us of PyJWT and simplejwt, measured in
    docs/performance.md "Auth"); its expiry is re-checked here against the clock each time.
    Only the token's own signed content is remembered: who the caller is, whether the session
    was signed out and their agency and role are resolved from the database on every request
    (`accounts.selectors.actor_resolve`), so revocation still bites at once.
    """
    backend = _backend()
    try:
        claims = _verified(raw, *_verifier(backend))
    except TokenError as exc:
        raise _refused(exc, "access token") from exc
    if datetime_from_epoch(claims["exp"]) <= aware_utcnow() - backend.get_leeway():
        raise AuthenticationFailed("The access token has expired.", code="token_expired")
    return dict(claims)


def _backend() -> TokenBackend:
    """The backend simplejwt's tokens decode with (`Token.token_backend`)."""
    return AccessToken._token_backend or _configured_backend()


@cache
def _configured_backend() -> TokenBackend:
    return import_string("rest_framework_simplejwt.state.token_backend")  # type: ignore[no-any-return]


def _verifier(b: TokenBackend) -> tuple[Any, ...]:
    """What a token's validity depends on besides itself: another backend, key, algorithm,
    audience or issuer (a key rotation, a test's settings) is a fresh memory."""
    return (id(b), b.signing_key, b.verifying_key, b.algorithm, b.audience, b.issuer)


@lru_cache(maxsize=VERIFIED_TOKENS)
def _verified(raw: str, *verifier: Any) -> Mapping[str, Any]:
    """Verify signature, type, `jti` and expiry once (simplejwt); read-only claims."""
    return MappingProxyType(dict(AccessToken(raw).payload))  # type: ignore[arg-type]


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
