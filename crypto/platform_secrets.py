"""Platform secrets (webhook signing secrets, TOTP seeds) sealed under the KEK of the provider.

Such a secret must be usable (to sign, to check a code), so it cannot be stored as a hash. It is
sealed like a data key: the key provider wraps it under its primary KEK (AES-256-GCM, inside the
HSM with `FIELD_KEY_PROVIDER=pkcs11`), with associated data naming the purpose and binding the
ciphertext to the row that owns it. The KEK id is stored beside it, so `rotate_keys` finds it.

Secrets sealed before the provider handled them (format 1: AES-GCM under a key derived by
HKDF-SHA256 from a local-ring KEK, stored as nonce || ciphertext) are still opened; `rotate_keys`
reseals them in the current format. An envelope always starts with its version byte and the
KEK id stored beside it, which a format-1 blob (a random nonce first) matches with probability
below 2^-24, and even then the envelope fails to authenticate and the old format is tried.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from core.errors import IntegrityFailure
from crypto import envelope
from crypto.errors import DecryptionFailed, KeyUnavailable
from crypto.keyring import KeyRingError, load_keyring
from crypto.providers import get_provider

_NONCE = 12


def _context(purpose: str, ad: bytes) -> bytes:
    return envelope.context_bytes("rh-secret", "v2", purpose) + ad


def seal_secret(value: str, *, purpose: str, ad: bytes) -> tuple[str, bytes]:
    """(KEK id, envelope) under the provider's primary KEK."""
    return get_provider().wrap(value.encode(), context=_context(purpose, ad))


def open_secret(key_id: str, blob: bytes | memoryview, *, purpose: str, ad: bytes) -> str:
    """The plaintext, or IntegrityFailure (fail closed: never use a guessed secret)."""
    raw = bytes(blob)
    try:
        if _is_envelope(raw, key_id):
            try:
                return get_provider().unwrap(raw, context=_context(purpose, ad)).decode()
            except DecryptionFailed:
                pass  # one in 2^24 format-1 blobs looks like an envelope: try the old format
        return _open_v1(key_id, raw, purpose=purpose, ad=ad)
    except (InvalidTag, ValueError, KeyRingError, KeyUnavailable, UnicodeDecodeError) as exc:
        raise IntegrityFailure(f"A stored {purpose} secret failed to decrypt.") from exc


def _is_envelope(raw: bytes, key_id: str) -> bool:
    try:
        return envelope.parse(raw).key_id == key_id
    except DecryptionFailed:  # MalformedCiphertext
        return False


def _open_v1(key_id: str, raw: bytes, *, purpose: str, ad: bytes) -> str:
    info = b"referral-hub|" + purpose.encode() + b"|v1"
    kek = load_keyring().get(key_id)
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(kek)
    return AESGCM(key).decrypt(raw[:_NONCE], raw[_NONCE:], ad).decode()
