"""Browser sessions (the console): each one is a token family, like an API sign-in.

So everything that ends API sessions ends console sessions too, on the next request:
deactivating the user or the agency, revoking the family, "sign out everywhere". The browser
keeps only the family id and the user id in its server-side session; the actor is rebuilt from
the database on every request (`session_actor`).
"""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone

from accounts.models import LoginFailure, TokenFamily, User
from accounts.services import _check_otp, _throttled, actor_for_user, anonymous_actor
from audit.services import INDEPENDENT, audit_record
from core.actor import Actor
from core.errors import AuthenticationFailed, PermissionDenied, TooManyRequests

AUTH_METHOD = "session"
# A password checked but a second factor still owed expires this fast (seconds).
SECOND_FACTOR_SECONDS = 300


@transaction.atomic
def session_start(*, user: User) -> TokenFamily:
    """A successful console sign-in: a new token family, audited as `auth.login`."""
    family = TokenFamily.objects.create(id=uuid.uuid4(), user=user)
    audit_record(
        actor=actor_for_user(user, auth_method=AUTH_METHOD),
        action="auth.login",
        target=family,
        target_agency_id=user.agency_id,
        reason=AUTH_METHOD,
    )
    return family


def session_actor(*, user_id: str, family_id: str) -> Actor | None:
    """The actor of a live session, or None (user, agency or family no longer valid)."""
    try:
        user_pk, family_pk = uuid.UUID(str(user_id)), uuid.UUID(str(family_id))
    except ValueError:
        return None
    user = (
        User.objects.select_related("agency")
        .filter(
            pk=user_pk,
            is_active=True,
            agency__is_active=True,
            token_families__id=family_pk,
            token_families__revoked_at__isnull=True,
        )
        .first()
    )
    return actor_for_user(user, auth_method=AUTH_METHOD) if user else None


@transaction.atomic
def session_end(*, family_id: str, reason: str = "signed_out") -> None:
    """Sign this browser out: revoke its family (idempotent), audited as `auth.logout`."""
    family = TokenFamily.objects.select_related("user").filter(pk=family_id).first()
    if family is None:
        return
    if family.revoked_at is None:
        TokenFamily.objects.filter(pk=family.pk).update(
            revoked_at=timezone.now(), revoked_reason=reason
        )
    audit_record(
        actor=actor_for_user(family.user, auth_method=AUTH_METHOD),
        action="auth.logout",
        target=family,
        target_agency_id=family.user.agency_id,
        reason=reason,
    )


@transaction.atomic
def sessions_end_all(*, actor: Actor) -> int:
    """Sign the actor out everywhere: every live family (browser and API) is revoked."""
    if actor.user_id is None:
        raise PermissionDenied("Only a person can sign out everywhere.")
    count = TokenFamily.objects.filter(user_id=actor.user_id, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason="signed_out_everywhere"
    )
    audit_record(
        actor=actor,
        action="auth.logout_everywhere",
        target=("accounts.user", actor.user_id),
        target_agency_id=actor.agency_id,
        reason=f"families={count}",
    )
    return count


def password_checked_user(*, username: str) -> str:
    """The id of the user whose password `login_authenticate` just accepted (`mfa_required`)."""
    return str(User.objects.filter(username=username).values_list("pk", flat=True).first())


def second_factor_due(*, since: float, now: float | None = None) -> bool:
    """True while a password-checked sign-in may still present its one-time code."""
    now = timezone.now().timestamp() if now is None else now
    return 0 <= now - since <= SECOND_FACTOR_SECONDS


def second_factor_check(*, user_id: str, otp: str, ip: str) -> User:
    """The second step of a sign-in whose password was checked moments ago (`mfa_required`).

    The same rules as `login_authenticate`: throttled, the user and agency still active, the
    code checked against replay; a wrong code counts as a failed sign-in.
    """
    user = User.objects.select_related("agency").filter(pk=user_id).first()
    if user is None:
        raise AuthenticationFailed("Invalid credentials.", code="invalid_credentials")
    if _throttled(user.username, ip):
        audit_record(
            actor=anonymous_actor(user.username),
            action="auth.failed",
            reason="throttled",
            outcome="deny",
            using=INDEPENDENT,
        )
        raise TooManyRequests(
            "Too many failed sign-ins; wait and try again.", code="login_throttled"
        )
    if not user.is_active or user.agency is None or not user.agency.is_active:
        LoginFailure.objects.create(username=user.username[:150], ip=ip[:64])
        raise AuthenticationFailed("Invalid credentials.", code="invalid_credentials")
    _check_otp(user, otp or "", user.username, ip)
    return user
