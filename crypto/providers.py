"""Key providers wrap and unwrap data keys under a KEK: the local ring, or a PKCS#11 token.

`FIELD_KEY_PROVIDER`: `local` (default, `crypto.keyring`), `pkcs11` (`crypto.pkcs11_provider`:
KEKs inside an HSM), or the dotted path of another class with the same four methods.
"""

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


class ManagedKeyProvider(KeyProvider, Protocol):
    """A provider that makes and destroys its own KEKs (the token's, for `rotate_keys`)."""

    def new_kek(self) -> str:
        """Create a KEK, which becomes the primary; return its id."""
        ...

    def retire_kek(self, kek_id: str) -> None:
        """Destroy an unused KEK (the caller checked that nothing uses it)."""
        ...


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


ALIASES = {
    "local": "crypto.providers.LocalKeyProvider",
    "pkcs11": "crypto.pkcs11_provider.Pkcs11KeyProvider",
}


def get_provider() -> KeyProvider:
    """The configured provider (`FIELD_KEY_PROVIDER`, default the local ring)."""
    name = getattr(settings, "FIELD_KEY_PROVIDER", "") or "local"
    path = ALIASES.get(name, name)
    provider = _providers.get(path)
    if provider is None:
        provider = _providers[path] = import_string(path)()
    return provider


def provider_status() -> str | None:
    """None when the provider can wrap (a primary KEK is reachable); else why not (no key)."""
    provider = get_provider()
    if isinstance(provider, LocalKeyProvider):
        from crypto.keyring import keyring_status

        return keyring_status()
    try:
        provider.primary_id()
    except KeyUnavailable as exc:
        return str(exc.__cause__ or exc)
    return None
