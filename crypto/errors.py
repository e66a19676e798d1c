"""Crypto errors. A decrypt failure is an `IntegrityFailure` (500): fail closed, name no data."""

from __future__ import annotations

from core.errors import ApplicationError, IntegrityFailure


class DecryptionFailed(IntegrityFailure):
    """A ciphertext did not authenticate: wrong key, or moved to another row/column/agency."""

    code = "decryption_failed"
    title = "Stored data could not be decrypted; the request was refused."


class MalformedCiphertext(DecryptionFailed):
    """The bytes are not an envelope this code understands."""

    code = "malformed_ciphertext"


class KeyUnavailable(IntegrityFailure):
    """A key needed to decrypt is missing (KEK not in the ring, data key absent)."""

    code = "key_unavailable"
    title = "A key needed to read stored data is unavailable; the request was refused."


class DataKeyMissing(KeyUnavailable):
    """The client has no data key row at all."""


class ClientErased(ApplicationError):
    """The client was crypto-shredded: its data key is gone and nothing can be decrypted."""

    status = 410
    code = "client_erased"
    title = "This client's data was erased."
