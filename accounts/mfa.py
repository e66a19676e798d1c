"""MFA changes a user makes, and the reset an admin or operator makes. Each is audited and
announced (`user.mfa_changed`).

- Enrol: a user without a confirmed factor starts with a fresh seed (pending) and confirms it
  with a code; the confirmation returns ten recovery codes, once. A full session must send the
  password to start; the limited enrolment step (password given minutes ago) need not.
- Replace: password and a current code (or a recovery code) start a new pending seed; the old
  one stays in force until the new one is confirmed.
- Remove: password and a current code (or a recovery code); refused where MFA is required.
- Recovery codes: regenerated with a current code; the old ones stop working.
- Reset (admin or operator): every factor and session goes; the next sign-in must enrol. No one
  but the user ever sees a seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import factors, notify, totp
from accounts.mfa_policy import mfa_required_for
from accounts.models import RecoveryCode, User
from accounts.sessions import sessions_revoke_all
from accounts.signin import reauthenticate
from audit.services import audit_record
from core.actor import Actor
from core.errors import Conflict, ValidationFailed
from crypto.providers import get_provider

ENROLMENT_STEP = "mfa_enrol"  # auth_method of the limited enrolment-step token


def _audit(actor: Actor, action: str, user: User, reason: str = "") -> None:
    audit_record(
        actor=actor, action=action, target=user, target_agency_id=user.agency_id, reason=reason
    )


def _lock(user: User) -> User:
    return User.objects.select_for_update().get(pk=user.pk)


def _start_pending(user: User) -> str:
    secret = totp.new_secret()
    factors.seed_seal(user, secret, pending=True)
    user.totp_pending_since = timezone.now()
    user.save(update_fields=factors.PENDING_FIELDS)
    return totp.provisioning_uri(secret, user.username)


def totp_enrol_start(*, actor: Actor, user: User, password: str | None, ip: str) -> str:
    """A first factor for a user who has none; returns the otpauth URI to show once."""
    if user.mfa_enabled:
        raise Conflict(
            "MFA is already set up; replace it with POST /api/v1/auth/mfa/replace.",
            code="mfa_already_enrolled",
        )
    if actor.auth_method != ENROLMENT_STEP:  # a full session proves it is still its user
        reauthenticate(actor=actor, user=user, password=password, ip=ip)
    with transaction.atomic():
        user = _lock(user)
        uri = _start_pending(user)
        _audit(actor, "mfa.enrol_start", user)
    return uri


def totp_replace_start(
    *,
    actor: Actor,
    user: User,
    password: str | None,
    otp: str | None,
    recovery_code: str | None,
    ip: str,
) -> str:
    """A new seed for a user who has one; the current one works until the new one is confirmed."""
    _must_be_enrolled(user)
    reauthenticate(
        actor=actor,
        user=user,
        password=password,
        otp=otp,
        recovery_code=recovery_code,
        ip=ip,
        second_factor=True,
    )
    with transaction.atomic():
        user = _lock(user)
        uri = _start_pending(user)
        _audit(actor, "mfa.replace_start", user)
    return uri


def _must_be_enrolled(user: User) -> None:
    if not user.mfa_enabled:
        raise Conflict("MFA is not set up for this account.", code="mfa_not_enrolled")


@dataclass(frozen=True)
class Confirmed:
    recovery_codes: list[str]
    replaced: bool


@transaction.atomic
def totp_confirm(*, actor: Actor, user: User, code: str) -> Confirmed:
    """The pending seed's first code makes it the user's factor; ten recovery codes, once."""
    user = _lock(user)
    secret = _pending_in_time(user)
    step = totp.matching_step(secret, code, after_step=0) if secret else None
    if step is None:
        raise ValidationFailed("That code does not match; try the current one.", field="code")
    replaced = user.mfa_enabled
    factors.seed_seal(user, secret or "", pending=False)
    user.totp_confirmed, user.totp_last_step, user.mfa_enrol_required = True, step, False
    factors.seed_clear(user, pending_only=True)
    user.save(update_fields=[*factors.SEED_FIELDS, *factors.PENDING_FIELDS, "mfa_enrol_required"])
    codes = factors.recovery_codes_issue(user)
    _audit(actor, "mfa.replace" if replaced else "mfa.enrol", user)
    notify.mfa_changed(user=user, change="replaced" if replaced else "enrolled", by=actor.user_id)
    return Confirmed(recovery_codes=codes, replaced=replaced)


def _pending_in_time(user: User) -> str | None:
    since = user.totp_pending_since
    window = timedelta(seconds=settings.MFA_ENROLMENT_SECONDS)
    if since is None or timezone.now() - since > window:
        raise ValidationFailed(
            "No enrolment in progress (or it expired); start again.", field="code"
        )
    return factors.pending_secret_of(user)


def totp_remove(
    *,
    actor: Actor,
    user: User,
    password: str | None,
    otp: str | None,
    recovery_code: str | None,
    ip: str,
) -> None:
    """Turn MFA off for a user whose role and agency do not require it."""
    _must_be_enrolled(user)
    if mfa_required_for(user):
        raise Conflict(
            "Your role requires MFA at your agency; replace the factor instead of removing it.",
            code="mfa_required",
        )
    reauthenticate(
        actor=actor,
        user=user,
        password=password,
        otp=otp,
        recovery_code=recovery_code,
        ip=ip,
        second_factor=True,
    )
    with transaction.atomic():
        user = _lock(user)
        user.save(update_fields=factors.seed_clear(user))
        RecoveryCode.objects.filter(user=user).delete()
        _audit(actor, "mfa.remove", user)
        notify.mfa_changed(user=user, change="removed", by=actor.user_id)


def recovery_codes_regenerate(*, actor: Actor, user: User, otp: str, ip: str) -> list[str]:
    """Ten new recovery codes for a current TOTP code; the old ones stop working."""
    _must_be_enrolled(user)
    reauthenticate(actor=actor, user=user, password=None, otp=otp, ip=ip, factors_only=True)
    with transaction.atomic():
        codes = factors.recovery_codes_issue(user)
        _audit(actor, "mfa.recovery_codes", user)
        notify.mfa_changed(user=user, change="recovery_codes_regenerated", by=actor.user_id)
    return codes


@transaction.atomic
def mfa_reset(*, actor: Actor, user: User) -> None:
    """Back to "must enrol": factors, recovery codes and every session go (admin or operator)."""
    user = _lock(user)
    factors.seed_clear(user)
    user.mfa_enrol_required = True
    user.save(update_fields=[*factors.SEED_FIELDS, *factors.PENDING_FIELDS, "mfa_enrol_required"])
    RecoveryCode.objects.filter(user=user).delete()
    revoked = sessions_revoke_all(user=user, reason="mfa_reset")
    _audit(actor, "mfa.reset", user, reason=f"sessions_revoked={revoked}")
    notify.mfa_changed(user=user, change="reset", by=actor.user_id)


def totp_secrets_rewrap(*, actor: Actor) -> int:
    """Re-seal TOTP seeds not under the primary KEK (run after a KEK rotation)."""
    primary = get_provider().primary_id()
    stale = User.objects.exclude(totp_key_id__in=["", primary]) | User.objects.exclude(
        totp_pending_key_id__in=["", primary]
    )
    done = 0
    for user_id in stale.values_list("pk", flat=True).distinct():
        with transaction.atomic():
            user = User.objects.select_for_update().get(pk=user_id)
            if factors.seeds_rewrap_one(user):
                audit_record(actor=actor, action="mfa.secret_rewrap", target=user)
                done += 1
    return done
