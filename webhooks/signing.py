"""Signing secrets (Standard Webhooks `whsec_` format), their encryption at rest, and signatures.

The secret must be usable to sign, so it cannot be stored only as a hash: it is sealed with
`crypto.platform_secrets` (AES-256-GCM under an HKDF key from the KEK ring); the associated
data binds the ciphertext to its subscription and agency.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import uuid

from crypto.platform_secrets import open_secret, seal_secret

PREFIX = "whsec_"
_PURPOSE = "webhooks|subscription-secret"  # the HKDF info used since the first release
_NONCE = 12


def secret_generate() -> str:
    """`whsec_` + base64 of 32 random bytes."""
    return PREFIX + base64.b64encode(os.urandom(32)).decode()


def secret_bytes(secret: str) -> bytes:
    """The HMAC key: the base64-decoded part after `whsec_`."""
    return base64.b64decode(secret.removeprefix(PREFIX))


def _ad(subscription_id: uuid.UUID, agency_id: uuid.UUID) -> bytes:
    return f"webhook-secret|{subscription_id}|{agency_id}".encode()


def secret_encrypt(
    secret: str, *, subscription_id: uuid.UUID, agency_id: uuid.UUID
) -> tuple[str, bytes]:
    """(key id, nonce || ciphertext+tag) under the primary KEK."""
    return seal_secret(secret, purpose=_PURPOSE, ad=_ad(subscription_id, agency_id))


def secret_decrypt(
    key_id: str, blob: bytes | memoryview, *, subscription_id: uuid.UUID, agency_id: uuid.UUID
) -> str:
    """The plaintext secret, or IntegrityFailure (fail closed: never sign with a guess)."""
    return open_secret(key_id, blob, purpose=_PURPOSE, ad=_ad(subscription_id, agency_id))


def sign(secret: str, *, msg_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256("{id}.{timestamp}.{body}")>` as Standard Webhooks defines it."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(secrets: list[str], *, msg_id: str, timestamp: int, body: bytes) -> str:
    """Space-separated signatures: several while a rotated secret is in its grace period."""
    return " ".join(sign(s, msg_id=msg_id, timestamp=timestamp, body=body) for s in secrets)
