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


CHECKPOINT_FORMAT = "referral-hub-audit-checkpoint/1"


def checkpoint_message(*, chain: str, seq: int, head_hash: str, time: str) -> bytes:
    """The exact bytes an Ed25519 checkpoint signature covers: (chain, seq, head hash, time)."""
    return canonical_bytes(
        {"format": CHECKPOINT_FORMAT, "chain": chain, "seq": seq, "hash": head_hash, "time": time}
    )


ARCHIVE_FORMAT = "referral-hub-audit-archive/1"


def archive_message(
    *, chain: str, seq: int, head_hash: str, archive_sha256: str, events: int, time: str
) -> bytes:
    """The bytes an archive statement's signature covers: the chain's events up to `seq`
    (head hash `head_hash`) were moved into a file whose SHA-256 is `archive_sha256`."""
    return canonical_bytes(
        {
            "format": ARCHIVE_FORMAT,
            "chain": chain,
            "seq": seq,
            "hash": head_hash,
            "archive_sha256": archive_sha256,
            "events": events,
            "time": time,
        }
    )
