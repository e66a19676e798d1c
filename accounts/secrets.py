"""Client secrets for integrations: high-entropy, shown once, stored as SHA-256."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_client_id() -> str:
    return "int_" + secrets.token_hex(12)


def new_client_secret() -> str:
    return "rhs_" + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    # The secret is 256 random bits, so a fast hash is enough (it is not a password).
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)
