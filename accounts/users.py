"""The staff lifecycle: create or invite, deactivate and reactivate, change role, passwords.

An agency's admin manages its own agency's users (the selectors hand them only those; the
services check again). Every change is audited; those that end a person's access (deactivate,
password reset) revoke every session of theirs in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import PasswordToken, PasswordTokenPurpose, TokenFamily, User
from accounts.secrets import hash_secret, new_password_token
from accounts.selectors import actor_for_user, anonymous_actor
from accounts.sessions import sessions_revoke_all
from accounts.signin import reauthenticate
from agencies.models import Agency
from audit.services import INDEPENDENT, audit_record
from core.actor import Actor
from core.errors import AuthenticationFailed, Conflict, NotFound, ValidationFailed
from core.roles import Role


def _audit(actor: Actor, action: str, user: User, reason: str = "") -> None:
    audit_record(
        actor=actor, action=action, target=user, target_agency_id=user.agency_id, reason=reason
    )


def _role_valid(role: str) -> None:
    if role not in Role.values:
        raise ValidationFailed(
            f"Unknown role; choose one of {', '.join(Role.values)}.", field="role"
        )


def _username_free(username: str) -> None:
    if User.objects.filter(username=username).exists():
        raise ValidationFailed("That username is taken.", field="username")


def password_check(password: str, user: User | None = None, field: str = "password") -> None:
    """Django's validators (length, common passwords, similarity, all-numeric)."""
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationFailed(" ".join(exc.messages), field=field) from exc


def _manages(actor: Actor, user: User) -> None:
    """Operators (system) manage anyone; a user only as agency admin of the same agency."""
    if actor.kind == "system":
        return
    if not (actor.has_role(Role.AGENCY_ADMIN) and actor.agency_id == user.agency_id):
        raise NotFound(target=("accounts.user", user.pk))


def _not_self(actor: Actor, user: User, what: str) -> None:
    if actor.user_id == user.pk:
        raise Conflict(f"You cannot {what} your own account; ask another admin.", code="self")


@transaction.atomic
def user_create(*, actor: Actor, agency: Agency, username: str, password: str, role: str) -> User:
    """Create a user in `agency` with one role and a password (operator tooling, demo data)."""
    _role_valid(role)
    _username_free(username)
    password_check(password, User(username=username))
    user = User.objects.create_user(username=username, password=password, agency=agency, role=role)
    _audit(actor, "user.create", user)
    return user


@dataclass(frozen=True)
class PasswordLink:
    """A one-time set-password token: shown once, to hand to the person."""

    user: User
    token: str
    expires_at: datetime


def _issue_token(user: User, purpose: str) -> PasswordLink:
    PasswordToken.objects.filter(user=user, used_at__isnull=True).update(used_at=timezone.now())
    token = new_password_token()
    expires = timezone.now() + timedelta(hours=settings.PASSWORD_TOKEN_HOURS)
    PasswordToken.objects.create(
        user=user, token_hash=hash_secret(token), purpose=purpose, expires_at=expires
    )
    return PasswordLink(user=user, token=token, expires_at=expires)


@transaction.atomic
def user_invite(*, actor: Actor, username: str, role: str) -> PasswordLink:
    """A new user of the admin's agency with no password yet, and their set-password token."""
    _role_valid(role)
    _username_free(username)
    user = User.objects.create_user(
        username=username, password=None, agency_id=actor.agency_id, role=role
    )
    link = _issue_token(user, PasswordTokenPurpose.INVITE)
    _audit(actor, "user.invite", user, reason=role)
    return link


@transaction.atomic
def user_set_active(*, actor: Actor, user: User, active: bool) -> User:
    """Deactivate (every session revoked at once: the next request is 401) or reactivate."""
    _manages(actor, user)
    if not active:
        _not_self(actor, user, "deactivate")
    user.is_active = active
    user.save(update_fields=["is_active"])
    revoked = 0 if active else sessions_revoke_all(user=user, reason="user_deactivated")
    action = "user.activate" if active else "user.deactivate"
    _audit(actor, action, user, reason="" if active else f"sessions_revoked={revoked}")
    return user


@transaction.atomic
def user_role_change(*, actor: Actor, user: User, role: str) -> User:
    """A new role (it applies on the user's next request: roles are never read from tokens)."""
    _manages(actor, user)
    _role_valid(role)
    _not_self(actor, user, "change the role of")
    before, user.role = user.role, role
    user.save(update_fields=["role"])
    _audit(actor, "user.role_change", user, reason=f"{before}->{role}")
    return user


@transaction.atomic
def user_password_reset(*, actor: Actor, user: User) -> PasswordLink:
    """The old password stops working and every session ends; a set-password token, once."""
    _manages(actor, user)
    user.set_unusable_password()
    user.save(update_fields=["password"])
    revoked = sessions_revoke_all(user=user, reason="password_reset")
    link = _issue_token(user, PasswordTokenPurpose.RESET)
    _audit(actor, "user.password_reset", user, reason=f"sessions_revoked={revoked}")
    return link


def password_set_with_token(*, token: str, password: str) -> User:
    """Redeem an invitation or reset token: the person chooses their password (once)."""
    with transaction.atomic():
        row = (
            PasswordToken.objects.select_for_update()
            .select_related("user")
            .filter(token_hash=hash_secret(token), used_at__isnull=True)
            .first()
        )
        if row is not None and row.expires_at > timezone.now() and row.user.is_active:
            user = row.user
            password_check(password, user)
            user.set_password(password)
            user.save(update_fields=["password"])
            row.used_at = timezone.now()
            row.save(update_fields=["used_at"])
            sessions_revoke_all(user=user, reason="password_set")
            _audit(actor_for_user(user, auth_method="password_token"), "user.password_set", user)
            return user
    audit_record(
        outcome="deny",
        using=INDEPENDENT,
        actor=anonymous_actor(),
        action="auth.failed",
        reason="bad_password_token",
    )
    raise AuthenticationFailed(
        "This set-password token is unknown, used or expired; ask your agency admin for a new one.",
        code="invalid_token",
    )


def user_password_change(
    *, actor: Actor, user: User, current: str, new: str, ip: str, keep: TokenFamily | None
) -> int:
    """The user's own change: re-authenticated; every other session of theirs is revoked."""
    reauthenticate(actor=actor, user=user, password=current, ip=ip)
    password_check(new, user, field="new_password")
    with transaction.atomic():
        user.set_password(new)
        user.save(update_fields=["password"])
        kept = [keep.pk] if keep is not None else []
        revoked = sessions_revoke_all(user=user, reason="password_changed", keep=kept)
        _audit(actor, "user.password_change", user, reason=f"sessions_revoked={revoked}")
    return revoked
