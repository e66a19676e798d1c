"""Bearer-token authentication that resolves the actor from the database on every request."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Exists, OuterRef
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts.actor import Actor
from accounts.models import Integration, TokenFamily, User
from accounts.services import actor_for_integration, actor_for_user
from api.tokens import decode_access
from core.errors import AuthenticationFailed


class TokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <access token>` for users and integrations.

    One query resolves the user (or integration) with its agency, and for users whether the
    token family was revoked, so sign-out, deactivation and role changes apply at once.
    """

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Actor, dict[str, Any]] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode().lower() != self.keyword.lower():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header.")
        try:
            claims = decode_access(header[1].decode())
        except (AuthenticationFailed, UnicodeDecodeError) as exc:
            raise exceptions.AuthenticationFailed(
                "The access token is invalid or expired."
            ) from exc
        actor = self._resolve(claims)
        if actor is None:
            raise exceptions.AuthenticationFailed("The credentials are no longer valid.")
        return actor, claims

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'

    def _resolve(self, claims: dict[str, Any]) -> Actor | None:
        try:
            subject = uuid.UUID(str(claims.get("sub")))
        except ValueError:
            return None
        if claims.get("kind") == "integration":
            return self._integration(subject)
        if claims.get("kind") == "user":
            return self._user(subject, claims.get("fam"))
        return None

    def _user(self, user_id: uuid.UUID, family: Any) -> Actor | None:
        try:
            family_id = uuid.UUID(str(family))
        except ValueError:
            return None
        live_family = TokenFamily.objects.filter(
            pk=family_id, user_id=OuterRef("pk"), revoked_at__isnull=True
        )
        user = (
            User.objects.select_related("agency")
            .annotate(family_live=Exists(live_family))
            .filter(pk=user_id, is_active=True, agency__is_active=True)
            .first()
        )
        if user is None or not user.family_live:
            return None
        return actor_for_user(user, auth_method="jwt")

    def _integration(self, integration_id: uuid.UUID) -> Actor | None:
        integration = (
            Integration.objects.select_related("agency")
            .filter(pk=integration_id, is_active=True, agency__is_active=True)
            .first()
        )
        if integration is None:
            return None
        return actor_for_integration(integration, auth_method="client_token")
