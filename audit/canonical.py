"""Canonical bytes and chain hashing. Standard library only: the offline verifier shares it."""

from __future__ import annotations

import hashlib
import json
from typing import Any

GENESIS_HASH = "0" * 64


def canonical_bytes(record: dict[str, Any]) -> bytes:
    """Sorted keys, no whitespace, ASCII only: the same record always gives the same bytes."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def chain_hash(prev_hash: str, canonical: bytes) -> str:
    """`SHA-256(prev_hash || canonical)` with prev_hash as raw bytes."""
    return hashlib.sha256(bytes.fromhex(prev_hash) + canonical).hexdigest()
