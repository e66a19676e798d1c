"""Sessions: token families started at sign-in, refresh rotation with reuse detection, revocation.

Every refresh token rotated from one sign-in shares a family; revoking the family kills its
refresh tokens and, because every request checks the family, its access tokens at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import RefreshToken, TokenFamily, User
from accounts.selectors import actor_for_user
from audit.services import INDEPENDENT, audit_record
from core import context
from core.actor import Actor
from core.errors import AuthenticationFailed


def new_jti() -> str:
    return uuid.uuid4().hex


@transaction.atomic
def token_family_start(
    *, user: User, family_id: uuid.UUID, jti: str, expires_at: datetime, auth_method: str
) -> TokenFamily:
    """A completed sign-in: a new token family and its first refresh token."""
    ctx = context.current()
    family = TokenFamily.objects.create(
        id=family_id, user=user, ip=ctx.ip[:64], user_agent=ctx.user_agent[:200]
    )
    RefreshToken.objects.create(jti=jti, family=family, expires_at=expires_at)
    audit_record(
        actor=actor_for_user(user, auth_method=auth_method),
        action="auth.login",
        target=family,
        target_agency_id=user.agency_id,
    )
    return family


@dataclass(frozen=True)
class Rotation:
    user: User
    family: TokenFamily


def refresh_rotate(*, old_jti: str, new_jti: str, expires_at: datetime) -> Rotation:
    """Rotate a refresh token. Presenting one already rotated revokes its whole family."""
    with transaction.atomic():
        token = (
            RefreshToken.objects.select_for_update(of=("self",))
            .select_related("family__user__agency")
            .filter(jti=old_jti)
            .first()
        )
        if token is None:
            raise AuthenticationFailed("Unknown refresh token.", code="token_invalid")
        family, user = token.family, token.family.user
        if token.used_at is None and family.revoked_at is None and _user_ok(user):
            token.used_at = timezone.now()
            token.save(update_fields=["used_at"])
            RefreshToken.objects.create(jti=new_jti, family=family, expires_at=expires_at)
            audit_record(
                actor=actor_for_user(user, auth_method="refresh"),
                action="auth.refresh",
                target=family,
                target_agency_id=user.agency_id,
            )
            return Rotation(user=user, family=family)
        reused = token.used_at is not None and family.revoked_at is None
        if reused:
            TokenFamily.objects.filter(pk=family.pk).update(
                revoked_at=timezone.now(), revoked_reason="refresh_reuse"
            )
            audit_record(
                actor=actor_for_user(user, auth_method="refresh"),
                action="auth.refresh_reuse",
                target=family,
                outcome="deny",
                reason="refresh_reuse",
            )
    if not reused:
        audit_record(
            outcome="deny",
            using=INDEPENDENT,
            actor=actor_for_user(user, auth_method="refresh"),
            action="auth.failed",
            target=family,
            reason="family_revoked" if family.revoked_at else "inactive",
        )
    raise AuthenticationFailed(
        "This refresh token is no longer valid; sign in again.", code="token_revoked"
    )


def _user_ok(user: User) -> bool:
    return user.is_active and user.agency is not None and user.agency.is_active


@transaction.atomic
def family_revoke(*, jti: str) -> None:
    """Sign out: revoke the family of this refresh token (and so its access tokens)."""
    token = RefreshToken.objects.select_related("family__user").filter(jti=jti).first()
    if token is None:
        raise AuthenticationFailed("Unknown refresh token.", code="token_invalid")
    family = token.family
    if family.revoked_at is None:
        TokenFamily.objects.filter(pk=family.pk).update(
            revoked_at=timezone.now(), revoked_reason="signed_out"
        )
    audit_record(
        actor=actor_for_user(family.user, auth_method="refresh"),
        action="auth.logout",
        target=family,
    )


def sessions_revoke_all(*, user: User, reason: str, keep: Iterable[uuid.UUID] = ()) -> int:
    """Revoke every live family of `user` (but `keep`) in one statement; the caller audits."""
    return (
        TokenFamily.objects.filter(user=user, revoked_at__isnull=True)
        .exclude(pk__in=list(keep))
        .update(revoked_at=timezone.now(), revoked_reason=reason[:32])
    )


@transaction.atomic
def session_revoke(*, actor: Actor, user: User, family: TokenFamily) -> None:
    """Revoke one session: its user's own choice, or their agency admin's."""
    TokenFamily.objects.filter(pk=family.pk, user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now(),
        revoked_reason="signed_out" if actor.user_id == user.id else "revoked_by_admin",
    )
    audit_record(
        actor=actor, action="auth.session_revoke", target=family, target_agency_id=user.agency_id
    )
