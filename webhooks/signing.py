"""Signing secrets (Standard Webhooks `whsec_` format), their encryption at rest, and signatures.

The secret must be usable to sign, so it cannot be stored only as a hash: it is encrypted with
AES-256-GCM under a key derived by HKDF-SHA256 from a KEK of the field key ring (the primary one
when written; the key id is stored so rotation of the ring keeps old secrets readable). The
associated data binds the ciphertext to its subscription and agency.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import uuid

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from core.errors import IntegrityFailure
from crypto.keyring import load_keyring

PREFIX = "whsec_"
_INFO = b"referral-hub|webhooks|subscription-secret|v1"
_NONCE = 12


def secret_generate() -> str:
    """`whsec_` + base64 of 32 random bytes."""
    return PREFIX + base64.b64encode(os.urandom(32)).decode()


def secret_bytes(secret: str) -> bytes:
    """The HMAC key: the base64-decoded part after `whsec_`."""
    return base64.b64decode(secret.removeprefix(PREFIX))


def _wrapping_key(kek: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(kek)


def _ad(subscription_id: uuid.UUID, agency_id: uuid.UUID) -> bytes:
    return f"webhook-secret|{subscription_id}|{agency_id}".encode()


def secret_encrypt(
    secret: str, *, subscription_id: uuid.UUID, agency_id: uuid.UUID
) -> tuple[str, bytes]:
    """(key id, nonce || ciphertext+tag) under the primary KEK."""
    ring = load_keyring()
    nonce = os.urandom(_NONCE)
    sealed = AESGCM(_wrapping_key(ring.primary)).encrypt(
        nonce, secret.encode(), _ad(subscription_id, agency_id)
    )
    return ring.primary_id, nonce + sealed


def secret_decrypt(
    key_id: str, blob: bytes | memoryview, *, subscription_id: uuid.UUID, agency_id: uuid.UUID
) -> str:
    """The plaintext secret, or IntegrityFailure (fail closed: never sign with a guess)."""
    blob = bytes(blob)
    try:
        kek = load_keyring().get(key_id)
        plain = AESGCM(_wrapping_key(kek)).decrypt(
            blob[:_NONCE], blob[_NONCE:], _ad(subscription_id, agency_id)
        )
    except (InvalidTag, ValueError, RuntimeError) as exc:
        raise IntegrityFailure("A webhook signing secret failed to decrypt.") from exc
    return plain.decode()


def sign(secret: str, *, msg_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256("{id}.{timestamp}.{body}")>` as Standard Webhooks defines it."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(secrets: list[str], *, msg_id: str, timestamp: int, body: bytes) -> str:
    """Space-separated signatures: several while a rotated secret is in its grace period."""
    return " ".join(sign(s, msg_id=msg_id, timestamp=timestamp, body=body) for s in secrets)
