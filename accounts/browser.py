"""Browser sessions (the console): each one is a token family, like an API sign-in.

So everything that ends API sessions ends console sessions too, on the next request:
deactivating the user or the agency, a password or MFA reset, revoking the session from the
sessions list, "sign out everywhere". The browser's server-side session keeps only the user id
and the family id; the actor is rebuilt from the database on every request
(`accounts.selectors.actor_resolve`, the API's own resolver).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import TokenFamily, User
from accounts.selectors import actor_for_user, actor_resolve
from accounts.sessions import new_jti, sessions_revoke_all, token_family_start
from audit.services import audit_record
from core.actor import Actor
from core.errors import PermissionDenied

AUTH_METHOD = "session"


def browser_session_start(*, user: User, auth_method: str) -> TokenFamily:
    """A completed sign-in in the browser: a token family (audited `auth.login`), listed with
    the user's other sessions until it ends or `SESSION_COOKIE_AGE` passes."""
    expires = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
    return token_family_start(
        user=user,
        family_id=uuid.uuid4(),
        jti=new_jti(),  # never handed out: the browser holds a session cookie instead
        expires_at=expires,
        auth_method=f"{AUTH_METHOD}:{auth_method}",
    )


def browser_actor(*, user_id: str, family_id: str) -> Actor | None:
    """The actor of a live browser session, or None (user, agency or family no longer valid)."""
    actor = actor_resolve(kind="user", subject=user_id, family=family_id)
    return dataclasses.replace(actor, auth_method=AUTH_METHOD) if actor else None


def enrolment_user(*, user_id: str, still: Callable[[User], bool]) -> User | None:
    """The active user of an enrolment step, if `still(user)` (its password is unchanged)."""
    try:
        pk = uuid.UUID(user_id)
    except ValueError:
        return None
    user = User.objects.select_related("agency").filter(pk=pk, is_active=True).first()
    return user if user is not None and still(user) else None


@transaction.atomic
def browser_session_end(*, family_id: str, reason: str = "signed_out") -> None:
    """Sign this browser out: revoke its family (idempotent), audited as `auth.logout`."""
    family = TokenFamily.objects.select_related("user").filter(pk=family_id).first()
    if family is None:
        return
    TokenFamily.objects.filter(pk=family.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason[:32]
    )
    audit_record(
        actor=actor_for_user(family.user, auth_method=AUTH_METHOD),
        action="auth.logout",
        target=family,
        target_agency_id=family.user.agency_id,
        reason=reason,
    )


@transaction.atomic
def sign_out_everywhere(*, actor: Actor) -> int:
    """Every live session of the actor, browser and API alike, ends now."""
    user = User.objects.filter(pk=actor.user_id).first() if actor.user_id else None
    if user is None:
        raise PermissionDenied("Only a person can sign out everywhere.")
    count = sessions_revoke_all(user=user, reason="signed_out_everywhere")
    audit_record(
        actor=actor,
        action="auth.logout_everywhere",
        target=user,
        target_agency_id=user.agency_id,
        reason=f"sessions_revoked={count}",
    )
    return count
