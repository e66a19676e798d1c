"""Bearer-token authentication that resolves the actor from the database on every request."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.db import connection
from django.db.models import Model
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts.models import Integration, TokenFamily, User
from agencies.models import Agency
from api.tokens import decode_access
from core.actor import Actor
from core.errors import AuthenticationFailed


class TokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <access token>` for users and integrations.

    One query resolves the user (or integration) with its agency, and for users whether the
    token family was revoked, so sign-out, deactivation and role changes apply at once. Nothing
    but the subject id and family id is taken from the token.
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
        row = _fetch_one(_USER_SQL, [_pk(User, user_id), _pk(TokenFamily, family_id)])
        if row is None:
            return None
        username, role, agency_id = row
        return Actor(
            kind="user",
            agency_id=uuid.UUID(str(agency_id)),
            user_id=user_id,
            role=role or None,
            auth_method="jwt",
            username=username,
        )

    def _integration(self, integration_id: uuid.UUID) -> Actor | None:
        row = _fetch_one(_INTEGRATION_SQL, [_pk(Integration, integration_id)])
        if row is None:
            return None
        client_id, agency_id, scopes = row
        return Actor(
            kind="integration",
            agency_id=uuid.UUID(str(agency_id)),
            integration_id=integration_id,
            scopes=frozenset(json.loads(scopes) if isinstance(scopes, str) else scopes),
            auth_method="client_token",
            username=client_id,
        )


# One hand-written query per request: the ORM's query building cost more than the database
# round trip itself (measured: bench/bench_auth.py, docs/performance.md).
_USER_SQL = f"""
SELECT u.username, u.role, u.agency_id
FROM {User._meta.db_table} u
JOIN {Agency._meta.db_table} a ON a.id = u.agency_id
WHERE u.id = %s AND u.is_active AND a.is_active
  AND EXISTS (
    SELECT 1 FROM {TokenFamily._meta.db_table} f
    WHERE f.id = %s AND f.user_id = u.id AND f.revoked_at IS NULL
  )
"""  # noqa: S608 - table names come from model metadata, values are parameters
_INTEGRATION_SQL = f"""
SELECT i.client_id, i.agency_id, i.scopes
FROM {Integration._meta.db_table} i
JOIN {Agency._meta.db_table} a ON a.id = i.agency_id
WHERE i.id = %s AND i.is_active AND a.is_active
"""  # noqa: S608


def _pk(model: type[Model], value: uuid.UUID) -> Any:
    return model._meta.pk.get_db_prep_value(value, connection)  # type: ignore[union-attr]


def _fetch_one(sql: str, params: list[Any]) -> tuple[Any, ...] | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()  # type: ignore[no-any-return]
