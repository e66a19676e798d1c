"""Platform secrets (webhook signing secrets, TOTP seeds) sealed under the KEK ring.

Such a secret must be usable (to sign, to check a code), so it cannot be stored as a hash. It is
encrypted with AES-256-GCM under a key derived by HKDF-SHA256 from a KEK of the field key ring
(the primary one when written; the key id is stored, so older secrets stay readable after a
rotation until they are rewrapped). `purpose` separates the derived keys; the associated data
binds each ciphertext to the row that owns it.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from core.errors import IntegrityFailure
from crypto.keyring import KeyRingError, load_keyring

_NONCE = 12


def _key(kek: bytes, purpose: str) -> bytes:
    info = b"referral-hub|" + purpose.encode() + b"|v1"
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(kek)


def seal_secret(value: str, *, purpose: str, ad: bytes) -> tuple[str, bytes]:
    """(key id, nonce || ciphertext+tag) under the primary KEK."""
    ring = load_keyring()
    nonce = os.urandom(_NONCE)
    sealed = AESGCM(_key(ring.primary, purpose)).encrypt(nonce, value.encode(), ad)
    return ring.primary_id, nonce + sealed


def open_secret(key_id: str, blob: bytes | memoryview, *, purpose: str, ad: bytes) -> str:
    """The plaintext, or IntegrityFailure (fail closed: never use a guessed secret)."""
    raw = bytes(blob)
    try:
        kek = load_keyring().get(key_id)
        plain = AESGCM(_key(kek, purpose)).decrypt(raw[:_NONCE], raw[_NONCE:], ad)
        return plain.decode()
    except (InvalidTag, ValueError, KeyRingError, UnicodeDecodeError) as exc:
        raise IntegrityFailure(f"A stored {purpose} secret failed to decrypt.") from exc
