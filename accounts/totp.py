"""RFC 6238 TOTP (SHA-1, 30 s, 6 digits) through pyotp, with replay protection by time step.

pyotp computes the codes; what it does not offer is "which step matched", which replay
protection needs (a code is accepted once, and never one older than the last accepted).
pyotp rather than django-otp: django-otp keeps each seed in its own device table in clear (hex),
while ours are sealed under the KEK ring or HSM (`accounts/factors.py`) and bound to their row.
"""

from __future__ import annotations

import hmac
import time

import pyotp

STEP_SECONDS = 30
DIGITS = 6
ISSUER = "referral-hub"


def new_secret() -> str:
    return pyotp.random_base32(length=32)  # 160 bits, as RFC 4226 recommends


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)


def code_now(secret: str, at: float | None = None) -> str:
    return _totp(secret).at(at if at is not None else time.time())


def matching_step(
    secret: str, code: str, *, after_step: int, at: float | None = None
) -> int | None:
    """The time step `code` belongs to (±1 step of drift), if newer than `after_step`."""
    code = code.strip()
    if not (code.isascii() and code.isdigit() and len(code) == DIGITS):
        return None
    totp = _totp(secret)
    now_step = int((at if at is not None else time.time()) // STEP_SECONDS)
    for step in (now_step - 1, now_step, now_step + 1):
        if step > after_step and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def provisioning_uri(secret: str, username: str) -> str:
    return _totp(secret).provisioning_uri(name=username, issuer_name=ISSUER)
