"""Writes for users, integrations, sign-in and refresh-token families."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone

from accounts import totp
from accounts.models import Integration, LoginFailure, RefreshToken, TokenFamily, User
from accounts.secrets import hash_secret, new_client_id, new_client_secret, secret_matches
from agencies.models import Agency
from audit.services import INDEPENDENT, audit_record
from core.actor import Actor
from core.errors import AuthenticationFailed, PermissionDenied, TooManyRequests, ValidationFailed
from core.roles import ALL_SCOPES, Role
from crypto.platform_secrets import open_secret, seal_secret
from crypto.providers import get_provider


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


# --- Users ------------------------------------------------------------------------------------


@transaction.atomic
def user_create(*, actor: Actor, agency: Agency, username: str, password: str, role: str) -> User:
    """Create a user in `agency` with one role."""
    if role not in Role.values:
        raise ValidationFailed(
            f"Unknown role; choose one of {', '.join(Role.values)}.", field="role"
        )
    if User.objects.filter(username=username).exists():
        raise ValidationFailed("That username is taken.", field="username")
    try:
        validate_password(password)
    except DjangoValidationError as exc:
        raise ValidationFailed(" ".join(exc.messages), field="password") from exc
    user = User.objects.create_user(username=username, password=password, agency=agency, role=role)
    audit_record(actor=actor, action="user.create", target=user, target_agency_id=agency.id)
    return user


@transaction.atomic
def user_set_active(*, actor: Actor, user: User, active: bool) -> User:
    user.is_active = active
    user.save(update_fields=["is_active"])
    if not active:
        TokenFamily.objects.filter(user=user, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_reason="user_deactivated"
        )
    action = "user.activate" if active else "user.deactivate"
    audit_record(actor=actor, action=action, target=user, target_agency_id=user.agency_id)
    return user


# --- Sign-in ----------------------------------------------------------------------------------


def _throttled(username: str, ip: str) -> bool:
    since = timezone.now() - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    recent = LoginFailure.objects.filter(at__gte=since)
    return (
        recent.filter(username=username).count() >= settings.LOGIN_FAILURE_LIMIT
        or recent.filter(ip=ip).count() >= settings.LOGIN_FAILURE_IP_LIMIT
    )


def _fail(username: str, ip: str, reason: str, user: User | None = None) -> AuthenticationFailed:
    LoginFailure.objects.create(username=username[:150], ip=ip[:64])
    actor = actor_for_user(user, auth_method="password") if user else anonymous_actor(username)
    audit_record(
        actor=actor, action="auth.failed", reason=reason, outcome="deny", using=INDEPENDENT
    )
    return AuthenticationFailed("Invalid credentials.", code="invalid_credentials")


def _check_otp(user: User, otp: str | None, username: str, ip: str) -> None:
    required = user.role in settings.MFA_REQUIRED_ROLES
    if not user.mfa_enabled:
        if required:
            audit_record(
                actor=actor_for_user(user, auth_method="password"),
                action="auth.failed",
                reason="mfa_enrollment_required",
                outcome="deny",
                using=INDEPENDENT,
            )
            raise PermissionDenied(
                "Your role requires multi-factor authentication; ask an operator to enrol you "
                "(`manage.py enroll_totp USERNAME`).",
                code="mfa_enrollment_required",
            )
        return
    if not otp:
        raise AuthenticationFailed("A one-time code (`otp`) is required.", code="mfa_required")
    step = totp.matching_step(totp_secret_of(user) or "", otp, after_step=user.totp_last_step)
    if step is None:
        raise _fail(username, ip, "bad_otp", user)
    User.objects.filter(pk=user.pk).update(totp_last_step=step)


def login_authenticate(*, username: str, password: str, otp: str | None, ip: str) -> User:
    """Check password (and TOTP where enrolled or required); throttle and audit failures."""
    if _throttled(username, ip):
        audit_record(
            actor=anonymous_actor(username),
            action="auth.failed",
            reason="throttled",
            outcome="deny",
            using=INDEPENDENT,
        )
        raise TooManyRequests(
            "Too many failed sign-ins; wait and try again.", code="login_throttled"
        )
    user = User.objects.select_related("agency").filter(username=username).first()
    if user is None:
        User().set_password(password)  # spend the same time as a real check
        raise _fail(username, ip, "unknown_user")
    if not user.check_password(password):
        raise _fail(username, ip, "bad_password", user)
    if not user.is_active or user.agency is None or not user.agency.is_active:
        raise _fail(username, ip, "inactive", user)
    _check_otp(user, otp, username, ip)
    return user


@transaction.atomic
def token_family_start(
    *, user: User, family_id: uuid.UUID, jti: str, expires_at: datetime
) -> TokenFamily:
    """A successful sign-in: a new token family and its first refresh token."""
    family = TokenFamily.objects.create(id=family_id, user=user)
    RefreshToken.objects.create(jti=jti, family=family, expires_at=expires_at)
    audit_record(
        actor=actor_for_user(user, auth_method="password"),
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
            raise AuthenticationFailed("Unknown refresh token.", code="token_not_valid")
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
            actor=actor_for_user(user, auth_method="refresh"),
            action="auth.failed",
            target=family,
            reason="family_revoked" if family.revoked_at else "inactive",
            outcome="deny",
            using=INDEPENDENT,
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
        raise AuthenticationFailed("Unknown refresh token.", code="token_not_valid")
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


# --- MFA --------------------------------------------------------------------------------------

_TOTP_PURPOSE = "accounts|totp-seed"


def _totp_ad(user: User) -> bytes:
    return f"totp|{user.pk}".encode()


def _seal_totp(user: User, secret: str) -> None:
    user.totp_key_id, user.totp_sealed = seal_secret(
        secret, purpose=_TOTP_PURPOSE, ad=_totp_ad(user)
    )


def totp_secret_of(user: User) -> str | None:
    """The user's TOTP seed (None when not enrolled); a failed decrypt raises (fail closed)."""
    if user.totp_sealed is None:
        return None
    return open_secret(user.totp_key_id, user.totp_sealed, purpose=_TOTP_PURPOSE, ad=_totp_ad(user))


def totp_set_secret(*, user: User, secret: str, confirmed: bool, last_step: int = 0) -> None:
    """Store a TOTP seed sealed (operator tooling and tests)."""
    _seal_totp(user, secret)
    user.totp_confirmed, user.totp_last_step = confirmed, last_step
    user.save(update_fields=["totp_key_id", "totp_sealed", "totp_confirmed", "totp_last_step"])


def totp_secrets_rewrap(*, actor: Actor) -> int:
    """Re-seal TOTP seeds not under the primary KEK (run after a KEK rotation)."""
    primary = get_provider().primary_id()
    done = 0
    for user_id in User.objects.exclude(totp_key_id__in=["", primary]).values_list("pk", flat=True):
        with transaction.atomic():
            user = User.objects.select_for_update().get(pk=user_id)
            secret = totp_secret_of(user)
            if secret is not None:
                _seal_totp(user, secret)
                user.save(update_fields=["totp_key_id", "totp_sealed"])
                audit_record(actor=actor, action="mfa.secret_rewrap", target=user)
                done += 1
    return done


@transaction.atomic
def totp_enroll(*, actor: Actor, user: User) -> str:
    """Start (or restart) enrolment; returns the provisioning URI to show once."""
    secret = totp.new_secret()
    _seal_totp(user, secret)
    user.totp_confirmed = False
    user.totp_last_step = 0
    user.save(update_fields=["totp_key_id", "totp_sealed", "totp_confirmed", "totp_last_step"])
    audit_record(actor=actor, action="mfa.enroll", target=user)
    return totp.provisioning_uri(secret, user.username)


@transaction.atomic
def totp_confirm(*, actor: Actor, user: User, code: str) -> None:
    secret = totp_secret_of(user)
    step = totp.matching_step(secret, code, after_step=user.totp_last_step) if secret else None
    if step is None:
        raise ValidationFailed("That code does not match; try the current one.", field="code")
    user.totp_confirmed = True
    user.totp_last_step = step
    user.save(update_fields=["totp_confirmed", "totp_last_step"])
    audit_record(actor=actor, action="mfa.confirm", target=user)


# --- Integrations -----------------------------------------------------------------------------


@transaction.atomic
def integration_create(
    *, actor: Actor, agency: Agency, name: str, scopes: list[str]
) -> tuple[Integration, str]:
    """Register a partner system; the plain secret is returned once and never stored."""
    unknown = sorted(set(scopes) - ALL_SCOPES)
    if unknown:
        raise ValidationFailed(f"Unknown scopes: {', '.join(unknown)}.", field="scopes")
    secret = new_client_secret()
    integration = Integration.objects.create(
        agency=agency,
        name=name,
        client_id=new_client_id(),
        secret_hash=hash_secret(secret),
        scopes=sorted(set(scopes)),
    )
    audit_record(
        actor=actor, action="integration.create", target=integration, target_agency_id=agency.id
    )
    return integration, secret


@transaction.atomic
def integration_set_active(*, actor: Actor, integration: Integration, active: bool) -> Integration:
    integration.is_active = active
    integration.save(update_fields=["is_active", "updated_at"])
    action = "integration.activate" if active else "integration.deactivate"
    audit_record(
        actor=actor, action=action, target=integration, target_agency_id=integration.agency_id
    )
    return integration


def integration_authenticate(*, client_id: str, client_secret: str) -> Integration:
    integration = Integration.objects.select_related("agency").filter(client_id=client_id).first()
    ok = (
        integration is not None
        and secret_matches(client_secret, integration.secret_hash)
        and integration.is_active
        and integration.agency.is_active
    )
    if not ok or integration is None:
        actor = (
            actor_for_integration(integration, auth_method="client_credentials")
            if integration
            else anonymous_actor(client_id)
        )
        audit_record(
            actor=actor,
            action="auth.failed",
            reason="bad_client_credentials",
            outcome="deny",
            using=INDEPENDENT,
        )
        raise AuthenticationFailed("Invalid client credentials.", code="invalid_client")
    with transaction.atomic():
        audit_record(
            actor=actor_for_integration(integration, auth_method="client_credentials"),
            action="auth.client_token",
            target=integration,
        )
    return integration


def new_jti() -> str:
    return uuid.uuid4().hex
