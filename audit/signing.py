"""The Ed25519 checkpoint key: `AUDIT_SIGNING_KEY` (base64 32-byte seed), or inside an HSM.

With `AUDIT_SIGNING_KEY_LABEL` set, the private key is the Ed25519 key pair of that label in the
PKCS#11 token (`core.hsm`): signatures are made by the token (CKM_EDDSA) and the key never
leaves it. Verification needs only the public key, read from the token once per process.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from core import hsm


@lru_cache(maxsize=4)
def _private_key(encoded: str) -> Ed25519PrivateKey:
    try:
        seed = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ImproperlyConfigured("AUDIT_SIGNING_KEY must be base64.") from exc
    if len(seed) != 32:
        raise ImproperlyConfigured("AUDIT_SIGNING_KEY must decode to a 32-byte Ed25519 seed.")
    return Ed25519PrivateKey.from_private_bytes(seed)


def private_key() -> Ed25519PrivateKey:
    return _private_key(settings.AUDIT_SIGNING_KEY)


@lru_cache(maxsize=4)
def _token_public_key(label: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(hsm.ed25519_public_raw(label))


def public_key() -> Ed25519PublicKey:
    if settings.AUDIT_SIGNING_KEY_LABEL:
        return _token_public_key(settings.AUDIT_SIGNING_KEY_LABEL)
    return private_key().public_key()


def public_key_raw() -> bytes:
    return public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_b64() -> str:
    return base64.b64encode(public_key_raw()).decode()


def public_key_pem() -> str:
    pem = public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem.decode()


def key_id() -> str:
    """A short fingerprint of the public key: SHA-256 of the raw key, first 16 hex chars."""
    return hashlib.sha256(public_key_raw()).hexdigest()[:16]


def sign(message: bytes) -> str:
    if settings.AUDIT_SIGNING_KEY_LABEL:
        return base64.b64encode(
            hsm.ed25519_sign(settings.AUDIT_SIGNING_KEY_LABEL, message)
        ).decode()
    return base64.b64encode(private_key().sign(message)).decode()


def signature_valid(message: bytes, signature_b64: str) -> bool:
    try:
        public_key().verify(base64.b64decode(signature_b64), message)
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True
