"""Published files: every checkpoint and archive statement, one file each, never overwritten.

    AUDIT_CHECKPOINT_DIR/<chain>/<seq:012d>-<key_id>.json          a checkpoint
    AUDIT_CHECKPOINT_DIR/<chain>/archive-<seq:012d>-<key_id>.json  an archive statement

A chain name comes from the database, so it is never used raw: it must be `platform` or a
UUID (the tables also CHECK this), and the resolved folder must sit directly inside the base.
Files are created with O_EXCL; a second write of the same name must carry the same content
(re-publishing is idempotent) or it is refused: signed history is only ever added to.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from django.conf import settings

from audit.canonical import ARCHIVE_FORMAT, CHECKPOINT_FORMAT
from audit.models import CHAIN_PATTERN, Archive, Checkpoint

_CHAIN = re.compile(CHAIN_PATTERN)


class UnsafeChainName(ValueError):
    pass


class PublishConflict(RuntimeError):
    pass


def validate_chain(chain: str) -> str:
    """`platform` or a lower-case UUID; anything else (a path, `..`) is refused."""
    if not isinstance(chain, str) or not _CHAIN.fullmatch(chain):
        raise UnsafeChainName(f"not a chain name: {chain[:80]!r}")
    return chain


def chain_folder(chain: str, base: str | None = None) -> Path:
    root = Path(base or str(settings.AUDIT_CHECKPOINT_DIR)).resolve()
    folder = (root / validate_chain(chain)).resolve()
    if folder.parent != root:
        raise UnsafeChainName(f"chain folder escapes {root}")
    return folder


def _iso(value: Any) -> str:
    return str(value.isoformat(timespec="microseconds"))


def checkpoint_payload(checkpoint: Checkpoint) -> dict[str, Any]:
    """The published form: everything a verifier needs besides the public key."""
    return {
        "format": CHECKPOINT_FORMAT,
        "chain": checkpoint.chain,
        "seq": checkpoint.seq,
        "hash": checkpoint.head_hash,
        "time": _iso(checkpoint.created_at),
        "key_id": checkpoint.key_id,
        "signature": checkpoint.signature,
    }


def archive_payload(archive: Archive) -> dict[str, Any]:
    return {
        "format": ARCHIVE_FORMAT,
        "chain": archive.chain,
        "seq": archive.seq,
        "hash": archive.head_hash,
        "archive_sha256": archive.archive_sha256,
        "events": archive.events,
        "time": _iso(archive.created_at),
        "key_id": archive.key_id,
        "signature": archive.signature,
    }


def _write_once(path: Path, payload: dict[str, Any]) -> Path:
    text = json.dumps(payload, sort_keys=True, indent=2) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        if path.read_text() != text:
            raise PublishConflict(f"{path} exists with other content: not overwritten") from None
        return path
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    return path


def publish(checkpoint: Checkpoint, folder: str | None = None) -> Path:
    """Write `<dir>/<chain>/<seq>-<key_id>.json` once (never overwritten)."""
    name = f"{checkpoint.seq:012d}-{checkpoint.key_id}.json"
    return _write_once(
        chain_folder(checkpoint.chain, folder) / name, checkpoint_payload(checkpoint)
    )


def publish_archive(archive: Archive, folder: str | None = None) -> Path:
    name = f"archive-{archive.seq:012d}-{archive.key_id}.json"
    return _write_once(chain_folder(archive.chain, folder) / name, archive_payload(archive))


def _read(chain: str, pattern: str, fmt: str) -> list[dict[str, Any]]:
    try:
        folder = chain_folder(chain)
    except UnsafeChainName:
        return []
    out = []
    for path in sorted(folder.glob(pattern)):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            data = {"format": fmt, "chain": chain, "seq": -1, "file": path.name}
        if isinstance(data, dict) and data.get("format") == fmt:
            out.append({**data, "file": path.name})
    return out


def published(chain: str) -> list[dict[str, Any]]:
    """Every published checkpoint of `chain` (including a `latest.json` of older versions)."""
    return _read(chain, "[0-9l]*.json", CHECKPOINT_FORMAT)


def published_archives(chain: str) -> list[dict[str, Any]]:
    return _read(chain, "archive-*.json", ARCHIVE_FORMAT)
