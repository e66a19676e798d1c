"""Sign-in and re-authentication: password, then the second factor, under the lockout.

Every answer that is not a success looks the same to the caller: a wrong password, an unknown
user, a wrong or missing one-time code and a spent recovery code are all `invalid_credentials`,
and all count as a failure of the (account, address) pair (`accounts/limits.py`). The audit
trail, not the caller, learns which it was.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts import factors, limits
from accounts.mfa_policy import mfa_required_for
from accounts.models import User
from accounts.selectors import actor_for_user, anonymous_actor
from audit.services import INDEPENDENT, audit_record
from core.actor import Actor
from core.errors import ApplicationError, AuthenticationFailed, TooManyRequests


class ReauthenticationFailed(ApplicationError):
    """A signed-in user's password or code did not match (their session stays valid)."""

    status = 403
    code = "reauthentication_failed"
    title = "Your password or one-time code did not match."


@dataclass(frozen=True)
class SignIn:
    """A password check that passed: `complete`, or the user must enrol MFA first."""

    user: User
    complete: bool
    auth_method: str  # password | password+totp | password+recovery_code


def _audit_failure(username: str, user: User | None, reason: str) -> None:
    actor = actor_for_user(user, auth_method="password") if user else anonymous_actor(username)
    audit_record(
        outcome="deny", using=INDEPENDENT, actor=actor, action="auth.failed", reason=reason
    )


def _begin(username: str, ip: str) -> limits.Attempt:
    try:
        return limits.attempt_begin(username=username, ip=ip)
    except TooManyRequests:
        audit_record(
            outcome="deny",
            using=INDEPENDENT,
            actor=anonymous_actor(username),
            action="auth.failed",
            reason="throttled",
        )
        raise


def _password_ok(user: User | None, password: str) -> str:
    """'' or the failure reason; an unknown user spends the same time as a real check."""
    if user is None:
        User().set_password(password)
        return "unknown_user"
    if not user.check_password(password):
        return "bad_password"
    if not user.is_active or user.agency is None or not user.agency.is_active:
        return "inactive"
    return ""


def login_authenticate(
    *,
    username: str,
    password: str,
    ip: str,
    otp: str | None = None,
    recovery_code: str | None = None,
) -> SignIn:
    """Check password and second factor under the lockout; audit and count every failure."""
    attempt = _begin(username, ip)
    user = User.objects.select_related("agency").filter(username=username).first()
    reason = _password_ok(user, password)
    method = "password"
    if not reason and user is not None and user.mfa_enabled:
        reason = factors.second_factor_consume(user, otp=otp, recovery_code=recovery_code)
        method = "password+recovery_code" if recovery_code else "password+totp"
    if reason:
        limits.attempt_failed(attempt)
        _audit_failure(username, user, reason)
        raise AuthenticationFailed(
            "The username, password or one-time code is wrong (accounts with MFA send `otp` "
            "or `recovery_code`).",
            code="invalid_credentials",
        )
    limits.attempt_succeeded(attempt)
    assert user is not None
    complete = user.mfa_enabled or not mfa_required_for(user)
    return SignIn(user=user, complete=complete, auth_method=method)


def reauthenticate(
    *,
    actor: Actor,
    user: User,
    password: str | None,
    ip: str,
    otp: str | None = None,
    recovery_code: str | None = None,
    second_factor: bool = False,
    factors_only: bool = False,
) -> None:
    """A signed-in user proves it is them again: the password, plus the second factor when
    `second_factor` (`factors_only`: a current TOTP code alone, no password).

    Failures count against the same (account, address) lockout as sign-in, so a stolen access
    token is no way to guess the password or the code.
    """
    attempt = _begin(user.username, ip)
    reason = _reauth_reason(user, password, otp, recovery_code, second_factor, factors_only)
    if reason:
        limits.attempt_failed(attempt)
        audit_record(
            outcome="deny",
            using=INDEPENDENT,
            actor=actor,
            action="auth.failed",
            reason=f"reauth_{reason}",
        )
        wanted = "a current one-time code (`otp`)" if factors_only else "your current password"
        if second_factor and not factors_only:
            wanted += " and a current one-time code (`otp`) or a recovery code"
        raise ReauthenticationFailed(f"Send {wanted}.")
    limits.attempt_succeeded(attempt)


def _reauth_reason(
    user: User,
    password: str | None,
    otp: str | None,
    recovery_code: str | None,
    second_factor: bool,
    factors_only: bool,
) -> str:
    if factors_only:
        return "" if otp and factors.totp_code_consume(user, otp) else "bad_otp"
    if not (password and user.check_password(password)):
        return "bad_password"
    if second_factor:
        return factors.second_factor_consume(user, otp=otp, recovery_code=recovery_code)
    return ""
