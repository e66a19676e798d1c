"""A private, writable key file per test (so rotation tests never touch the shared one)."""

from __future__ import annotations

import base64
import os

import pytest

from crypto.keyring import KeyRing, load_keyring, write_key_file


@pytest.fixture
def key_file(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Point FIELD_KEYS_FILE at a copy of the current ring; returns the path."""
    ring = load_keyring()
    path = tmp_path / "field-keys.json"
    write_key_file(str(path), ring)
    settings.FIELD_KEYS, settings.FIELD_KEYS_FILE, settings.FIELD_PRIMARY_KEY_ID = (
        None,
        str(path),
        None,
    )
    yield path
    load_keyring.cache_clear()


def new_ring(
    ring: KeyRing,
    *,
    primary: str | None = None,
    replace: dict[str, bytes] | None = None,
    drop: tuple[str, ...] = (),
) -> KeyRing:
    keys = {k: v for k, v in {**ring.keys, **(replace or {})}.items() if k not in drop}
    return KeyRing(primary_id=primary or ring.primary_id, keys=keys)


def b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


def random_key() -> bytes:
    return os.urandom(32)
