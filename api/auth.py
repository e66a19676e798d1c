"""Bearer-token authentication: the actor is resolved from the database on every request.

`TokenAuthentication` (the default everywhere) takes access tokens only: an enrolment-step
token, a refresh token or anything else is 401. `EnrolmentAuthentication` is named by the two
MFA enrolment views alone and takes only the enrolment-step token.
"""

from __future__ import annotations

import uuid
from typing import Any

from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts.mfa import ENROLMENT_STEP
from accounts.models import User
from accounts.selectors import actor_for_user, actor_resolve
from api.tokens import decode_access, decode_enrolment, password_mark
from core.actor import Actor
from core.errors import AuthenticationFailed

SCHEME_EXPECTED = "Use `Authorization: Bearer <access token>`."


def _bearer(request: Request, keyword: str) -> str | None:
    """The token of a `Bearer` header; None without a header; 401 for any other scheme."""
    header = authentication.get_authorization_header(request).split()
    if not header:
        return None
    if header[0].decode(errors="replace").lower() != keyword.lower() or len(header) != 2:
        raise exceptions.AuthenticationFailed(
            f"The Authorization header is not a Bearer token. {SCHEME_EXPECTED}",
            code="invalid_auth_scheme",
        )
    try:
        return header[1].decode()
    except UnicodeDecodeError as exc:
        raise exceptions.AuthenticationFailed(
            "The access token is invalid.", code="token_invalid"
        ) from exc


class TokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <access token>` for users and integrations.

    Nothing but the subject id and family id is taken from the token; who it is, their agency
    and role come from `accounts.selectors.actor_resolve` (one query).
    """

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Actor, dict[str, Any]] | None:
        raw = _bearer(request, self.keyword)
        if raw is None:
            return None
        try:
            claims = decode_access(raw)
        except AuthenticationFailed as exc:
            raise exceptions.AuthenticationFailed(exc.detail, code=exc.code) from exc
        actor = actor_resolve(
            kind=claims.get("kind"), subject=claims.get("sub"), family=claims.get("fam")
        )
        if actor is None:
            raise exceptions.AuthenticationFailed(
                "The credentials are no longer valid (signed out, revoked or deactivated).",
                code="token_revoked",
            )
        return actor, claims

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'


class EnrolmentAuthentication(TokenAuthentication):
    """The enrolment-step token (and, for the same views, a normal access token after it)."""

    def authenticate(self, request: Request) -> tuple[Actor, dict[str, Any]] | None:
        raw = _bearer(request, self.keyword)
        if raw is None:
            return None
        try:
            claims = decode_enrolment(raw)
        except AuthenticationFailed:
            return None  # not an enrolment token: TokenAuthentication decides
        try:
            user_id = uuid.UUID(str(claims.get("sub")))
        except ValueError as exc:
            raise exceptions.AuthenticationFailed(
                "The enrolment token is invalid.", code="token_invalid"
            ) from exc
        user = User.objects.select_related("agency").filter(pk=user_id).first()
        live = user is not None and user.is_active and user.agency and user.agency.is_active
        if not live or claims.get("pwm") != password_mark(user):  # type: ignore[arg-type]
            raise exceptions.AuthenticationFailed(
                "The enrolment token is no longer valid; sign in again.", code="token_revoked"
            )
        return actor_for_user(user, auth_method=ENROLMENT_STEP), claims  # type: ignore[arg-type]
