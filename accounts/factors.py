"""The second factor: TOTP seeds sealed under the KEK ring, codes checked once, recovery codes.

No function here decides *whether* a change is allowed (that is `accounts/mfa.py`); these are
the primitives it and sign-in share. Every check that succeeds consumes what it used: a TOTP
step is never accepted twice (nor one older than the last), a recovery code works once, and
both hold under concurrency (conditional UPDATEs, not read-then-write).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts import totp
from accounts.models import RecoveryCode, User
from accounts.secrets import hash_recovery_code, new_recovery_code, normalize_recovery_code
from crypto.platform_secrets import open_secret, seal_secret
from crypto.providers import get_provider

RECOVERY_CODE_COUNT = 10
_PURPOSE = "accounts|totp-seed"


def _ad(user: User, *, pending: bool) -> bytes:
    return f"{'totp-pending' if pending else 'totp'}|{user.pk}".encode()


def seed_seal(user: User, secret: str, *, pending: bool) -> None:
    """Seal `secret` into the user's active or pending seed columns (the caller saves)."""
    key_id, sealed = seal_secret(secret, purpose=_PURPOSE, ad=_ad(user, pending=pending))
    if pending:
        user.totp_pending_key_id, user.totp_pending_sealed = key_id, sealed
    else:
        user.totp_key_id, user.totp_sealed = key_id, sealed


def totp_secret_of(user: User) -> str | None:
    """The user's confirmed-or-not active seed; a failed decrypt raises (fail closed)."""
    if user.totp_sealed is None:
        return None
    return open_secret(
        user.totp_key_id, user.totp_sealed, purpose=_PURPOSE, ad=_ad(user, pending=False)
    )


def pending_secret_of(user: User) -> str | None:
    if user.totp_pending_sealed is None:
        return None
    return open_secret(
        user.totp_pending_key_id,
        user.totp_pending_sealed,
        purpose=_PURPOSE,
        ad=_ad(user, pending=True),
    )


SEED_FIELDS = ["totp_key_id", "totp_sealed", "totp_confirmed", "totp_last_step"]
PENDING_FIELDS = ["totp_pending_key_id", "totp_pending_sealed", "totp_pending_since"]


def seed_clear(user: User, *, pending_only: bool = False) -> list[str]:
    """Blank the seed columns; returns the fields to save."""
    user.totp_pending_key_id, user.totp_pending_sealed, user.totp_pending_since = "", None, None
    if pending_only:
        return PENDING_FIELDS
    user.totp_key_id, user.totp_sealed = "", None
    user.totp_confirmed, user.totp_last_step = False, 0
    return SEED_FIELDS + PENDING_FIELDS


def totp_code_consume(user: User, code: str) -> bool:
    """True once for a current code of the user's confirmed seed (the step is then spent)."""
    if not user.mfa_enabled:
        return False
    step = totp.matching_step(totp_secret_of(user) or "", code, after_step=user.totp_last_step)
    if step is None:
        return False
    # Two requests with the same code race here: only one moves the step forward.
    won = User.objects.filter(pk=user.pk, totp_last_step__lt=step).update(totp_last_step=step)
    user.totp_last_step = step
    return won == 1


def recovery_code_consume(user: User, code: str) -> bool:
    """True once per recovery code of the user."""
    if not normalize_recovery_code(code):
        return False
    used = RecoveryCode.objects.filter(
        user=user, code_hash=hash_recovery_code(user.pk, code), used_at__isnull=True
    ).update(used_at=timezone.now())
    return used == 1


def second_factor_consume(user: User, *, otp: str | None, recovery_code: str | None) -> str:
    """'' if the factor presented is good (and now spent), else the audit reason."""
    if recovery_code:
        return "" if recovery_code_consume(user, recovery_code) else "bad_recovery_code"
    if not otp:
        return "mfa_missing"
    return "" if totp_code_consume(user, otp) else "bad_otp"


@transaction.atomic
def recovery_codes_issue(user: User) -> list[str]:
    """Replace the user's recovery codes with ten new ones; the plain codes are returned once."""
    RecoveryCode.objects.filter(user=user).delete()
    codes = [new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, code_hash=hash_recovery_code(user.pk, code)) for code in codes
    )
    return codes


def recovery_codes_remaining(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def seeds_rewrap_one(user: User) -> bool:
    """Re-seal this user's seeds under the primary KEK; True if anything changed."""
    primary, fields = get_provider().primary_id(), []
    if user.totp_sealed is not None and user.totp_key_id != primary:
        seed_seal(user, totp_secret_of(user) or "", pending=False)
        fields += ["totp_key_id", "totp_sealed"]
    if user.totp_pending_sealed is not None and user.totp_pending_key_id != primary:
        seed_seal(user, pending_secret_of(user) or "", pending=True)
        fields += ["totp_pending_key_id", "totp_pending_sealed"]
    if fields:
        user.save(update_fields=fields)
    return bool(fields)
