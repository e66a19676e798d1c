"""High-entropy secrets we hand out once and keep only as SHA-256.

Integration client secrets (256 bits), set-password tokens (256 bits) and MFA recovery codes
(80 bits each): all random, none a password, so a fast hash is enough to store them.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

# Crockford-style alphabet without look-alikes (no i, l, o, u): easy to read off paper.
_RECOVERY_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
RECOVERY_GROUPS, RECOVERY_GROUP_LEN = 4, 4  # 16 symbols x 5 bits = 80 bits


def new_client_id() -> str:
    return "int_" + secrets.token_hex(12)


def new_client_secret() -> str:
    return "rhs_" + secrets.token_urlsafe(32)


def new_password_token() -> str:
    return "rhp_" + secrets.token_urlsafe(32)


def new_recovery_code() -> str:
    groups = (
        "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(RECOVERY_GROUP_LEN))
        for _ in range(RECOVERY_GROUPS)
    )
    return "-".join(groups)


def normalize_recovery_code(code: str) -> str:
    """Case, spaces and dashes do not matter when a code is typed back."""
    return "".join(ch for ch in code.lower() if ch.isalnum())


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def hash_recovery_code(user_id: object, code: str) -> str:
    return hash_secret(f"recovery|{user_id}|{normalize_recovery_code(code)}")


def secret_matches(secret: str, stored_hash: str) -> bool:
    return bool(stored_hash) and hmac.compare_digest(hash_secret(secret), stored_hash)
