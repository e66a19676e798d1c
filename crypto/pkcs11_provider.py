"""KEKs inside a PKCS#11 token (an HSM): data keys are wrapped and unwrapped by the token.

`FIELD_KEY_PROVIDER=pkcs11`. Each KEK is an AES-256 secret key generated in the token
(`CKA_TOKEN`, `CKA_SENSITIVE`, not `CKA_EXTRACTABLE`: its bytes never leave it). Wrapping is
`C_Encrypt` with `CKM_AES_GCM` (96-bit random IV, 128-bit tag) and associated data = envelope
header || context, so the stored envelope is byte-for-byte the format the local ring writes
(`crypto/envelope.py`): key id, nonce, ciphertext+tag. The key id is the key's `CKA_LABEL`;
`CKA_ID` holds `rh-kek/` + the creation time, so the newest KEK is the primary (unless
`FIELD_PRIMARY_KEY_ID` pins one) and every process agrees without a shared file: the token is
asked on every wrap, so a new KEK is primary everywhere the moment it exists.

Moving from the local ring: keep `FIELD_KEYS(_FILE)` configured beside the provider; ids that
are not in the token are unwrapped with the ring (decrypt-only) until `rotate_keys --resume`
has rewrapped everything under the token's primary. Then remove the ring.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import time
from collections.abc import Callable
from typing import Any, TypeVar

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from core.hsm import HsmUnavailable, token_call
from crypto import envelope
from crypto.errors import DecryptionFailed, KeyUnavailable
from crypto.keyring import KeyRingError, load_keyring

logger = logging.getLogger(__name__)
T = TypeVar("T")
KEK_ID_PREFIX = b"rh-kek/"
_LABEL = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def _gcm(nonce: bytes, aad: bytes) -> Any:
    from pkcs11.mechanisms import GCMParams

    return GCMParams(nonce, aad, 128)


def _keks(session: Any) -> list[tuple[bytes, str, Any]]:
    """(CKA_ID, label, key) of every KEK of ours in the token, oldest first."""
    from pkcs11 import Attribute, KeyType, ObjectClass

    found = []
    query = {Attribute.CLASS: ObjectClass.SECRET_KEY, Attribute.KEY_TYPE: KeyType.AES}
    for key in session.get_objects(query):
        ident, label = bytes(key[Attribute.ID]), str(key[Attribute.LABEL])
        if ident.startswith(KEK_ID_PREFIX) and _LABEL.match(label):
            found.append((ident, label, key))
    return sorted(found, key=lambda item: item[0])


def _primary(session: Any) -> tuple[str, Any]:
    keks = _keks(session)
    pinned = settings.FIELD_PRIMARY_KEY_ID
    if pinned:
        chosen = [(label, key) for _, label, key in keks if label == pinned]
        if not chosen:
            raise HsmUnavailable(f"FIELD_PRIMARY_KEY_ID {pinned!r} is not a KEK in the token.")
        return chosen[0]
    if not keks:
        raise HsmUnavailable("The token holds no KEK yet: run `manage.py pkcs11_keys new-kek`.")
    _, label, key = keks[-1]
    return label, key


def _find(session: Any, kek_id: str) -> Any | None:
    matches = [key for _, label, key in _keks(session) if label == kek_id]
    if len(matches) > 1:
        raise HsmUnavailable(f"Two KEKs in the token are labelled {kek_id!r}; refusing both.")
    return matches[0] if matches else None


class Pkcs11KeyProvider:
    """The `KeyProvider` of `crypto.providers`, with its KEKs in a PKCS#11 token."""

    def primary_id(self) -> str:
        return self._call(lambda session: _primary(session)[0])

    def key_ids(self) -> frozenset[str]:
        inside = self._call(lambda session: frozenset(label for _, label, _ in _keks(session)))
        return inside | frozenset(self._legacy_keys())

    def wrap(self, key: bytes, *, context: bytes) -> tuple[str, bytes]:
        def seal(session: Any) -> tuple[str, bytes]:
            kek_id, kek = _primary(session)
            nonce = os.urandom(envelope.NONCE_BYTES)
            head = envelope.header(kek_id, nonce)
            mechanism = _mechanism()
            sealed = kek.encrypt(
                key, mechanism=mechanism, mechanism_param=_gcm(nonce, head + context)
            )
            return kek_id, head + bytes(sealed)

        return self._call(seal)

    def unwrap(self, wrapped: bytes, *, context: bytes) -> bytes:
        env = envelope.parse(wrapped)
        errors = _pkcs11_errors()

        def open_(session: Any) -> bytes | None:
            kek = _find(session, env.key_id)
            if kek is None:
                return None
            try:
                plain = kek.decrypt(
                    env.ciphertext,
                    mechanism=_mechanism(),
                    mechanism_param=_gcm(env.nonce, env.header + context),
                )
            except errors.PKCS11Error as exc:
                if isinstance(exc, _availability_errors(errors)):
                    raise
                raise DecryptionFailed() from None  # the tag did not authenticate
            return bytes(plain)

        plain = self._call(open_)
        if plain is not None:
            return plain
        legacy = self._legacy_keys().get(env.key_id)
        if legacy is None:
            raise KeyUnavailable()
        return envelope.open_(AESGCM(legacy), env, context)

    # --- key management (rotate_keys, pkcs11_keys) ----------------------------------------

    def new_kek(self) -> str:
        """Generate a new AES-256 KEK inside the token; it is the primary from now on."""
        from pkcs11 import Attribute, KeyType

        kek_id = "hsm-" + secrets.token_hex(6)
        ident = KEK_ID_PREFIX + time.time_ns().to_bytes(8, "big")
        template = {
            Attribute.TOKEN: True,
            Attribute.PRIVATE: True,
            Attribute.SENSITIVE: True,
            Attribute.EXTRACTABLE: False,
            Attribute.ENCRYPT: True,
            Attribute.DECRYPT: True,
            Attribute.WRAP: False,
            Attribute.UNWRAP: False,
            Attribute.SIGN: False,
            Attribute.VERIFY: False,
            Attribute.DERIVE: False,
        }

        def generate(session: Any) -> str:
            session.generate_key(
                KeyType.AES, 256, id=ident, label=kek_id, store=True, template=template
            )
            return kek_id

        return self._call(generate)

    def retire_kek(self, kek_id: str) -> None:
        """Destroy a KEK in the token (irreversible: whatever it still wraps is lost)."""

        def destroy(session: Any) -> None:
            kek = _find(session, kek_id)
            if kek is None:
                raise HsmUnavailable(f"KEK {kek_id} is not in the token.")
            kek.destroy()

        self._call(destroy)

    def describe(self) -> list[dict[str, Any]]:
        """id, created (ns), and the protection flags of every KEK (for `pkcs11_keys status`)."""
        from pkcs11 import Attribute

        def rows(session: Any) -> list[dict[str, Any]]:
            return [
                {
                    "id": label,
                    "created_ns": int.from_bytes(ident[len(KEK_ID_PREFIX) :], "big"),
                    "sensitive": bool(key[Attribute.SENSITIVE]),
                    "extractable": bool(key[Attribute.EXTRACTABLE]),
                    "never_extractable": bool(key[Attribute.NEVER_EXTRACTABLE]),
                }
                for ident, label, key in _keks(session)
            ]

        return self._call(rows)

    # --- plumbing ---------------------------------------------------------------------------

    @staticmethod
    def _call(fn: Callable[[Any], T]) -> T:
        errors = _pkcs11_errors()
        try:
            return token_call(fn)
        except HsmUnavailable as exc:
            reason = str(exc)
        except errors.PKCS11Error as exc:
            reason = f"PKCS#11 operation failed: {type(exc).__name__}"
        # The reason goes to the log and to /readyz (the exception's cause), never to an API
        # error body: KeyUnavailable renders its fixed title only.
        logger.error("key provider unavailable", extra={"reason": reason})
        raise KeyUnavailable() from HsmUnavailable(reason)

    @staticmethod
    def _legacy_keys() -> dict[str, bytes]:
        if not (settings.FIELD_KEYS or settings.FIELD_KEYS_FILE):
            return {}
        try:
            return load_keyring().keys
        except KeyRingError:
            return {}


def _pkcs11_errors() -> Any:
    try:
        from pkcs11 import exceptions
    except ImportError as exc:
        raise KeyUnavailable("python-pkcs11 is not installed (the 'hsm' extra).") from exc
    return exceptions


def _availability_errors(errors: Any) -> tuple[type[BaseException], ...]:
    return (
        errors.SessionHandleInvalid,
        errors.SessionClosed,
        errors.DeviceRemoved,
        errors.DeviceError,
        errors.DeviceMemory,
        errors.TokenNotPresent,
        errors.UserNotLoggedIn,
        errors.ObjectHandleInvalid,
        errors.KeyHandleInvalid,
        errors.MechanismInvalid,
        errors.FunctionNotSupported,
    )


def _mechanism() -> Any:
    from pkcs11 import Mechanism

    return Mechanism.AES_GCM
