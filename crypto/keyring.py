"""Key ring of key-encryption keys (KEKs) from FIELD_KEYS or FIELD_KEYS_FILE.

FIELD_KEYS:      "id1:base64key,id2:base64key" (primary: FIELD_PRIMARY_KEY_ID, else the first)
FIELD_KEYS_FILE: JSON {"primary": "id", "keys": {"id": "base64key", ...}}

The ring is cached per process; a file-based ring is re-read when the file changes (so a
`rotate_keys` run reaches every running process without a restart). An env-based ring changes
only on restart.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings


class KeyRingError(RuntimeError):
    """Keys are missing or malformed: refuse to run (fail closed)."""


@dataclass(frozen=True)
class KeyRing:
    primary_id: str
    keys: dict[str, bytes]

    def get(self, key_id: str) -> bytes:
        try:
            return self.keys[key_id]
        except KeyError:
            raise KeyRingError(f"KEK {key_id!r} is not in the key ring.") from None

    @property
    def primary(self) -> bytes:
        return self.get(self.primary_id)


def _decode(key_id: str, value: str) -> bytes:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KeyRingError(f"KEK {key_id!r} is not valid base64.") from exc
    if len(raw) != 32:
        raise KeyRingError(f"KEK {key_id!r} must be 32 bytes, got {len(raw)}.")
    return raw


def parse_env(value: str, primary: str | None) -> KeyRing:
    pairs = [item.split(":", 1) for item in value.split(",") if item.strip()]
    if not pairs or any(len(p) != 2 for p in pairs):
        raise KeyRingError("FIELD_KEYS must look like 'id:base64key[,id:base64key...]'.")
    keys = {kid.strip(): _decode(kid.strip(), b64.strip()) for kid, b64 in pairs}
    return _ring(primary or pairs[0][0].strip(), keys)


def parse_file(path: str, primary: str | None) -> KeyRing:
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise KeyRingError(f"FIELD_KEYS_FILE {path} cannot be read as JSON: {exc}") from exc
    keys = {kid: _decode(kid, b64) for kid, b64 in dict(data.get("keys", {})).items()}
    return _ring(primary or str(data.get("primary", "")), keys)


_KEY_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def _ring(primary: str, keys: dict[str, bytes]) -> KeyRing:
    bad = [kid for kid in keys if not _KEY_ID.match(kid)]
    if bad:
        raise KeyRingError("KEK ids must be 1-64 characters of A-Z a-z 0-9 . _ -")
    if not keys:
        raise KeyRingError("The key ring is empty.")
    if primary not in keys:
        raise KeyRingError(f"Primary KEK {primary!r} is not in the key ring.")
    return KeyRing(primary_id=primary, keys=keys)


_cache: dict[str, Any] = {"source": None, "ring": None}


def _source() -> tuple[Any, ...]:
    """What the ring was loaded from; a different value means "load again"."""
    path = settings.FIELD_KEYS_FILE
    try:
        stamp = os.stat(path).st_mtime_ns if path and not settings.FIELD_KEYS else None
    except OSError:
        stamp = None
    return (settings.FIELD_KEYS, path, stamp, settings.FIELD_PRIMARY_KEY_ID)


def load_keyring() -> KeyRing:
    """The current key ring (cached; re-read when its source changes). Raises KeyRingError."""
    source = _source()
    if _cache["source"] == source and _cache["ring"] is not None:
        return _cache["ring"]  # type: ignore[no-any-return]
    if settings.FIELD_KEYS:
        ring = parse_env(settings.FIELD_KEYS, settings.FIELD_PRIMARY_KEY_ID)
    elif settings.FIELD_KEYS_FILE:
        ring = parse_file(settings.FIELD_KEYS_FILE, settings.FIELD_PRIMARY_KEY_ID)
    else:
        raise KeyRingError("No field keys configured (FIELD_KEYS or FIELD_KEYS_FILE).")
    _cache.update(source=source, ring=ring)
    return ring


def _cache_clear() -> None:
    _cache.update(source=None, ring=None)


load_keyring.cache_clear = _cache_clear  # type: ignore[attr-defined]


def new_key_id() -> str:
    return "k" + secrets.token_hex(6)


def write_key_file(path: str, ring: KeyRing) -> None:
    """Atomically replace the key file (mode 0600) with `ring`."""
    data = {
        "primary": ring.primary_id,
        "keys": {kid: base64.b64encode(key).decode() for kid, key in ring.keys.items()},
    }
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(json.dumps(data, indent=2))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, target)
    _cache_clear()


def keyring_status() -> str | None:
    """None when keys load; otherwise a message naming no key material."""
    try:
        load_keyring()
    except KeyRingError as exc:
        return str(exc)
    return None
