"""The self-describing ciphertext envelope (format version 1) and AES-256-GCM sealing.

    byte 0      format version (0x01)
    byte 1      key id length n (1..64)
    bytes 2..   key id (n bytes, ASCII)
    12 bytes    random nonce
    rest        ciphertext || 16-byte GCM tag

The whole header (version, key id, nonce) is part of the associated data, followed by the
caller's context bytes, so a ciphertext is bound to the key that sealed it and to its location.
No trial decryption: the key id says which key to use.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crypto.errors import DecryptionFailed, MalformedCiphertext

VERSION = 1
NONCE_BYTES = 12
TAG_BYTES = 16
MAX_KEY_ID = 64


@dataclass(frozen=True)
class Envelope:
    version: int
    key_id: str
    nonce: bytes
    ciphertext: bytes  # includes the tag

    @property
    def header(self) -> bytes:
        return header(self.key_id, self.nonce)


def header(key_id: str, nonce: bytes) -> bytes:
    raw_id = key_id.encode("ascii")
    if not 1 <= len(raw_id) <= MAX_KEY_ID:
        raise ValueError("key id must be 1-64 ASCII bytes")
    return bytes((VERSION, len(raw_id))) + raw_id + nonce


def parse(blob: bytes) -> Envelope:
    """Split an envelope; any malformed input raises `MalformedCiphertext`, nothing else."""
    if not isinstance(blob, bytes | bytearray | memoryview):
        raise MalformedCiphertext()
    data = bytes(blob)
    if len(data) < 2 or data[0] != VERSION:
        raise MalformedCiphertext()
    n = data[1]
    body = 2 + n
    if not 1 <= n <= MAX_KEY_ID or len(data) < body + NONCE_BYTES + TAG_BYTES:
        raise MalformedCiphertext()
    raw_id = data[2:body]
    if not raw_id.isascii() or not raw_id.decode("ascii").isprintable():
        raise MalformedCiphertext()
    return Envelope(
        version=VERSION,
        key_id=raw_id.decode("ascii"),
        nonce=data[body : body + NONCE_BYTES],
        ciphertext=data[body + NONCE_BYTES :],
    )


def seal(aead: AESGCM, key_id: str, plaintext: bytes, context: bytes) -> bytes:
    """Encrypt under `aead` with a fresh random nonce; AD = header || context."""
    head = header(key_id, os.urandom(NONCE_BYTES))
    return head + aead.encrypt(head[-NONCE_BYTES:], plaintext, head + context)


def open_(aead: AESGCM, envelope: Envelope, context: bytes) -> bytes:
    """Decrypt a parsed envelope; a failed tag raises `DecryptionFailed`."""
    try:
        return aead.decrypt(envelope.nonce, envelope.ciphertext, envelope.header + context)
    except InvalidTag:
        raise DecryptionFailed() from None


def context_bytes(*parts: str) -> bytes:
    """Unambiguous encoding of the associated-data parts (length-prefixed UTF-8)."""
    out = bytearray()
    for part in parts:
        raw = part.encode()
        out += len(raw).to_bytes(4, "big") + raw
    return bytes(out)
