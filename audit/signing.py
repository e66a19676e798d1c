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


def _raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id_of(key: Ed25519PublicKey) -> str:
    return hashlib.sha256(_raw(key)).hexdigest()[:16]


@lru_cache(maxsize=4)
def _retired(value: str) -> tuple[Ed25519PublicKey, ...]:
    try:
        return tuple(
            Ed25519PublicKey.from_public_bytes(base64.b64decode(item.strip(), validate=True))
            for item in value.split(",")
            if item.strip()
        )
    except (binascii.Error, ValueError) as exc:
        raise ImproperlyConfigured(
            "AUDIT_SIGNING_RETIRED_PUBLIC_KEYS must be comma-separated base64 Ed25519 public keys."
        ) from exc


def public_keys() -> dict[str, Ed25519PublicKey]:
    """Every key a checkpoint may be signed with, by key id: the current one and the retired
    ones (`AUDIT_SIGNING_RETIRED_PUBLIC_KEYS`, kept outside the database: a key added to the
    database could sign anything)."""
    keys = {key_id_of(k): k for k in _retired(settings.AUDIT_SIGNING_RETIRED_PUBLIC_KEYS or "")}
    keys[key_id()] = public_key()
    return keys


def signature_valid(message: bytes, signature_b64: str, key_id: str | None = None) -> bool:
    """Checked with the key named by `key_id` (current key when None; unknown id: invalid)."""
    key = public_key() if key_id is None else public_keys().get(key_id)
    if key is None:
        return False
    try:
        key.verify(base64.b64decode(signature_b64), message)
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def retired_keys() -> list[dict[str, str]]:
    """The retired public keys, by key id (base64 raw), for offline verifiers."""
    current = key_id()
    return [
        {"key_id": kid, "public_key": base64.b64encode(_raw(key)).decode()}
        for kid, key in sorted(public_keys().items())
        if kid != current
    ]
