"""One PKCS#11 token per process: a logged-in session, used under a lock (python-pkcs11).

Settings: `PKCS11_MODULE` (the vendor's library, e.g. SoftHSM2's `libsofthsm2.so`), the token by
`PKCS11_TOKEN_LABEL` or `PKCS11_SLOT`, and `PKCS11_PIN` (or `PKCS11_PIN_FILE`). The key provider
(`crypto.pkcs11_provider`) and the checkpoint signer (`audit.signing`) call `token_call(fn)`.

Fail closed, and gently: any failure raises `HsmUnavailable` with a message that names no PIN
or key material. A refused login (wrong or locked PIN) is remembered for the life of the
process, so a misconfigured process cannot run the token's PIN retry counter down one request
at a time; fix the PIN and restart. A session that goes stale (token removed, HSM restarted) is
reopened once, then the call fails.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.conf import settings

T = TypeVar("T")


class HsmUnavailable(RuntimeError):
    """The token cannot be used (library, token, login, key): refuse the operation."""


@dataclass(frozen=True)
class TokenConfig:
    module: str
    token_label: str | None
    slot: int | None
    pin: str = field(repr=False)

    @classmethod
    def from_settings(cls) -> TokenConfig:
        module, pin = settings.PKCS11_MODULE, settings.PKCS11_PIN
        label, slot = settings.PKCS11_TOKEN_LABEL, settings.PKCS11_SLOT
        if not module:
            raise HsmUnavailable("PKCS11_MODULE is not set (the path of the PKCS#11 library).")
        if not (label or slot is not None):
            raise HsmUnavailable("Set PKCS11_TOKEN_LABEL or PKCS11_SLOT to choose the token.")
        if not pin:
            raise HsmUnavailable("PKCS11_PIN (or PKCS11_PIN_FILE) is not set.")
        return cls(module=module, token_label=label, slot=slot, pin=pin)


_lock = threading.RLock()
_state: dict[str, Any] = {"pid": None, "config": None, "session": None, "refused": None}


def _errors() -> Any:
    try:
        from pkcs11 import exceptions
    except ImportError as exc:  # the optional dependency: pip install 'referral-hub[hsm]'
        raise HsmUnavailable("python-pkcs11 is not installed (the 'hsm' extra).") from exc
    return exceptions


def _stale(errors: Any) -> tuple[type[BaseException], ...]:
    return (
        errors.SessionHandleInvalid,
        errors.SessionClosed,
        errors.DeviceRemoved,
        errors.TokenNotPresent,
        errors.UserNotLoggedIn,
        errors.ObjectHandleInvalid,
    )


def _token(config: TokenConfig) -> Any:
    import pkcs11

    errors = _errors()
    try:
        lib = pkcs11.lib(config.module)
        if _state["pid"] not in (None, os.getpid()):
            lib.reinitialize()  # a forked child must C_Initialize again
        if config.slot is not None:
            slots = [s for s in lib.get_slots(token_present=True) if s.slot_id == config.slot]
            if not slots:
                raise HsmUnavailable(f"No token in PKCS#11 slot {config.slot}.")
            return slots[0].get_token()
        return lib.get_token(token_label=config.token_label)
    except errors.NoSuchToken as exc:
        raise HsmUnavailable(f"No PKCS#11 token labelled {config.token_label!r}.") from exc
    except errors.PKCS11Error as exc:
        raise HsmUnavailable(f"The PKCS#11 library failed to load: {type(exc).__name__}") from exc


def _open(config: TokenConfig) -> Any:
    errors = _errors()
    if _state["refused"] is not None and _state["refused"][0] == config:
        raise HsmUnavailable(_state["refused"][1])
    token = _token(config)
    try:
        session = token.open(rw=True, user_pin=config.pin)
    except (errors.PinIncorrect, errors.PinLocked, errors.PinExpired, errors.PinInvalid) as exc:
        message = (
            f"PKCS#11 login refused ({type(exc).__name__}); not retried by this process. "
            "Fix PKCS11_PIN(_FILE) and restart."
        )
        _state["refused"] = (config, message)
        raise HsmUnavailable(message) from exc
    except errors.PKCS11Error as exc:
        raise HsmUnavailable(f"PKCS#11 session failed: {type(exc).__name__}") from exc
    _state.update(pid=os.getpid(), config=config, session=session)
    return session


def _session(config: TokenConfig) -> Any:
    if _state["session"] is not None and _state["pid"] == os.getpid():
        if _state["config"] == config:
            return _state["session"]
        _drop()
    return _open(config)


def _drop() -> None:
    session, _state["session"] = _state["session"], None
    if session is not None and _state["pid"] == os.getpid():
        with contextlib.suppress(Exception):  # the session is gone either way
            session.close()


def token_call(fn: Callable[[Any], T], *, config: TokenConfig | None = None) -> T:
    """Run `fn(session)` on the configured token; reopen a stale session once."""
    config = config or TokenConfig.from_settings()
    errors = _errors()
    with _lock:
        for attempt in (1, 2):
            session = _session(config)
            try:
                return fn(session)
            except _stale(errors) as exc:
                _drop()
                if attempt == 2:
                    raise HsmUnavailable(
                        f"PKCS#11 token unavailable: {type(exc).__name__}"
                    ) from exc
    raise AssertionError("unreachable")


def token_reset() -> None:
    """Forget the session and any refused login (tests; after an operator fixed the PIN)."""
    with _lock:
        _drop()
        _state.update(config=None, refused=None)


# --- Ed25519 (the audit checkpoint key): CKM_EC_EDWARDS_KEY_PAIR_GEN, CKM_EDDSA ----------------

ED25519_OID = "1.3.101.112"


def _ed25519_private(session: Any, label: str) -> Any:
    from pkcs11 import KeyType, ObjectClass

    errors = _errors()
    try:
        return session.get_key(
            object_class=ObjectClass.PRIVATE_KEY, key_type=KeyType.EC_EDWARDS, label=label
        )
    except (errors.NoSuchKey, errors.MultipleObjectsReturned) as exc:
        raise HsmUnavailable(f"No single Ed25519 private key labelled {label!r}.") from exc


def ed25519_sign(label: str, message: bytes) -> bytes:
    """A 64-byte Ed25519 signature made inside the token."""
    from pkcs11 import Mechanism

    def sign(session: Any) -> bytes:
        return bytes(_ed25519_private(session, label).sign(message, mechanism=Mechanism.EDDSA))

    return token_call(sign)


def ed25519_public_raw(label: str) -> bytes:
    """The raw 32-byte public key of the pair (CKA_EC_POINT, DER OCTET STRING or raw)."""
    from pkcs11 import Attribute, KeyType, ObjectClass

    errors = _errors()

    def public(session: Any) -> bytes:
        try:
            key = session.get_key(
                object_class=ObjectClass.PUBLIC_KEY, key_type=KeyType.EC_EDWARDS, label=label
            )
        except (errors.NoSuchKey, errors.MultipleObjectsReturned) as exc:
            raise HsmUnavailable(f"No single Ed25519 public key labelled {label!r}.") from exc
        point = bytes(key[Attribute.EC_POINT])
        if len(point) == 34 and point[:2] == b"\x04\x20":
            point = point[2:]
        if len(point) != 32:
            raise HsmUnavailable(f"The key labelled {label!r} is not an Ed25519 key.")
        return point

    return token_call(public)


def ed25519_generate(label: str) -> bytes:
    """Generate the pair inside the token (private: sensitive, never extractable)."""
    from pkcs11 import Attribute, KeyType, Mechanism
    from pkcs11.util.ec import encode_named_curve_parameters

    def generate(session: Any) -> None:
        session.generate_keypair(
            KeyType.EC_EDWARDS,
            mechanism=Mechanism.EC_EDWARDS_KEY_PAIR_GEN,
            store=True,
            label=label,
            public_template={Attribute.EC_PARAMS: encode_named_curve_parameters(ED25519_OID)},
            private_template={
                Attribute.SENSITIVE: True,
                Attribute.EXTRACTABLE: False,
                Attribute.SIGN: True,
                Attribute.PRIVATE: True,
            },
        )

    token_call(generate)
    return ed25519_public_raw(label)
