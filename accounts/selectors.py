"""Reads of accounts: who the caller is (once per request), and the staff an admin may manage.

Staff, integrations and sessions are scoped here and only here: an agency's `agency_admin` sees
its own agency's; everyone else sees nothing, and a user or integration of another agency is
the same 404 as one that does not exist.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.db import connection
from django.db.models import Max, Model, Q, QuerySet
from django.utils import timezone

from accounts.models import Integration, TokenFamily, User
from agencies.models import Agency
from core import joined
from core.actor import Actor
from core.errors import NotFound
from core.roles import Role


def actor_for_user(user: User, *, auth_method: str) -> Actor:
    return Actor(
        kind="user",
        agency_id=user.agency_id,
        user_id=user.id,
        role=user.role or None,
        auth_method=auth_method,
        username=user.username,
    )


def actor_for_integration(integration: Integration, *, auth_method: str) -> Actor:
    return Actor(
        kind="integration",
        agency_id=integration.agency_id,
        integration_id=integration.id,
        scopes=frozenset(integration.scopes),
        auth_method=auth_method,
        username=integration.client_id,
    )


def anonymous_actor(label: str = "") -> Actor:
    return Actor(kind="anonymous", agency_id=None, auth_method="none", username=label[:150])


# --- the caller, on every request -------------------------------------------------------------


def actor_resolve(*, kind: Any, subject: Any, family: Any = None) -> Actor | None:
    """The live actor named by an access token's claims, or None (gone, inactive, signed out).

    One query resolves the user (or integration) with its agency, and for users whether the
    token family was revoked, so sign-out, deactivation and role changes apply at once.
    """
    try:
        subject_id = uuid.UUID(str(subject))
    except ValueError:
        return None
    if kind == "integration":
        return _integration_actor(subject_id)
    if kind == "user":
        try:
            family_id = uuid.UUID(str(family))
        except ValueError:
            return None
        return _user_actor(subject_id, family_id)
    return None


def _user_actor(user_id: uuid.UUID, family_id: uuid.UUID) -> Actor | None:
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


def _integration_actor(integration_id: uuid.UUID) -> Actor | None:
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
    """A server-side prepared statement on PostgreSQL (planned once per connection)."""
    return joined.fetch_one(sql, params)


def user_of(actor: Actor) -> User:
    """The signed-in user behind `actor` (with its agency)."""
    if actor.kind != "user" or actor.user_id is None:
        raise NotFound()
    user = User.objects.select_related("agency").filter(pk=actor.user_id).first()
    if user is None:
        raise NotFound()
    return user


# --- staff and integrations, for an agency's admin ---------------------------------------------


def agency_of(actor: Actor) -> Agency:
    agency = Agency.objects.filter(pk=actor.agency_id).first() if actor.agency_id else None
    if agency is None:
        raise NotFound()
    return agency


def _admin_agency(actor: Actor) -> uuid.UUID | None:
    return actor.agency_id if actor.has_role(Role.AGENCY_ADMIN) else None


def user_qs_for(actor: Actor) -> QuerySet[User]:
    agency_id = _admin_agency(actor)
    if agency_id is None:
        return User.objects.none()
    return User.objects.filter(agency_id=agency_id)


def user_get_for(*, actor: Actor, user_id: uuid.UUID) -> User:
    user = user_qs_for(actor).select_related("agency").filter(pk=user_id).first()
    if user is None:
        raise NotFound(target=("accounts.user", user_id))
    return user


def integration_qs_for(actor: Actor) -> QuerySet[Integration]:
    agency_id = _admin_agency(actor)
    if agency_id is None:
        return Integration.objects.none()
    return Integration.objects.filter(agency_id=agency_id)


def integration_get_for(*, actor: Actor, integration_id: uuid.UUID) -> Integration:
    integration = integration_qs_for(actor).filter(pk=integration_id).first()
    if integration is None:
        raise NotFound(target=("accounts.integration", integration_id))
    return integration


# --- sessions (token families) -----------------------------------------------------------------


def sessions_live(user: User) -> QuerySet[TokenFamily]:
    """The user's sessions still in force, newest first, with `last_used_at` annotated."""
    now = timezone.now()
    return (
        TokenFamily.objects.filter(user=user, revoked_at__isnull=True)
        .annotate(
            last_used_at=Max("tokens__issued_at"),
            expires_at=Max("tokens__expires_at"),
        )
        .filter(Q(expires_at__gt=now))
        .order_by("-created_at", "-id")
    )


def session_get(*, user: User, family_id: uuid.UUID) -> TokenFamily:
    """One of `user`'s live sessions, or 404."""
    family = sessions_live(user).filter(pk=family_id).first()
    if family is None:
        raise NotFound(target=("accounts.tokenfamily", family_id))
    return family
