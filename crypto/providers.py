"""Key providers wrap and unwrap data keys under a KEK. Local ring now; KMS/Vault later."""

from __future__ import annotations

from typing import Protocol

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.utils.module_loading import import_string

from crypto import envelope
from crypto.errors import KeyUnavailable
from crypto.keyring import KeyRing, KeyRingError, load_keyring


class KeyProvider(Protocol):
    """Wraps data keys. `context` is bound as associated data (e.g. the client id)."""

    def primary_id(self) -> str: ...

    def wrap(self, key: bytes, *, context: bytes) -> tuple[str, bytes]:
        """Return (kek id, wrapped bytes) under the current primary KEK."""
        ...

    def unwrap(self, wrapped: bytes, *, context: bytes) -> bytes:
        """Return the plaintext key; raise KeyUnavailable or DecryptionFailed."""
        ...

    def key_ids(self) -> frozenset[str]: ...


class LocalKeyProvider:
    """KEKs from the local key ring (FIELD_KEYS / FIELD_KEYS_FILE), AES-256-GCM envelopes."""

    def primary_id(self) -> str:
        return self._ring().primary_id

    def key_ids(self) -> frozenset[str]:
        return frozenset(self._ring().keys)

    def wrap(self, key: bytes, *, context: bytes) -> tuple[str, bytes]:
        ring = self._ring()
        aead = AESGCM(ring.primary)
        return ring.primary_id, envelope.seal(aead, ring.primary_id, key, context)

    def unwrap(self, wrapped: bytes, *, context: bytes) -> bytes:
        env = envelope.parse(wrapped)
        ring = self._ring()
        if env.key_id not in ring.keys:
            raise KeyUnavailable()
        return envelope.open_(AESGCM(ring.keys[env.key_id]), env, context)

    @staticmethod
    def _ring() -> KeyRing:
        try:
            return load_keyring()
        except KeyRingError:
            raise KeyUnavailable() from None


_providers: dict[str, KeyProvider] = {}  # provider objects only; they hold no key material


def get_provider() -> KeyProvider:
    """The configured provider (`FIELD_KEY_PROVIDER`, default the local ring)."""
    path = getattr(settings, "FIELD_KEY_PROVIDER", "") or "crypto.providers.LocalKeyProvider"
    provider = _providers.get(path)
    if provider is None:
        provider = _providers[path] = import_string(path)()
    return provider
