"""Key ring of key-encryption keys (KEKs) from FIELD_KEYS or FIELD_KEYS_FILE.

FIELD_KEYS:      "id1:base64key,id2:base64key" (primary: FIELD_PRIMARY_KEY_ID, else the first)
FIELD_KEYS_FILE: JSON {"primary": "id", "keys": {"id": "base64key", ...}}
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

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


def _ring(primary: str, keys: dict[str, bytes]) -> KeyRing:
    if not keys:
        raise KeyRingError("The key ring is empty.")
    if primary not in keys:
        raise KeyRingError(f"Primary KEK {primary!r} is not in the key ring.")
    return KeyRing(primary_id=primary, keys=keys)


@lru_cache(maxsize=1)
def load_keyring() -> KeyRing:
    if settings.FIELD_KEYS:
        return parse_env(settings.FIELD_KEYS, settings.FIELD_PRIMARY_KEY_ID)
    if settings.FIELD_KEYS_FILE:
        return parse_file(settings.FIELD_KEYS_FILE, settings.FIELD_PRIMARY_KEY_ID)
    raise KeyRingError("No field keys configured (FIELD_KEYS or FIELD_KEYS_FILE).")


def keyring_status() -> str | None:
    """None when keys load; otherwise a message naming no key material."""
    try:
        load_keyring()
    except KeyRingError as exc:
        return str(exc)
    return None
