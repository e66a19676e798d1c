"""The self-describing ciphertext envelope (format version 1) and AES-256-GCM sealing.

    byte 0      format version (0x01)
    byte 1      key id length n (1..64)
    bytes 2..   key id (n bytes of A-Z a-z 0-9 . _ -)
    12 bytes    random nonce
    rest        ciphertext || 16-byte GCM tag

The whole header (version, key id, nonce) is part of the associated data, followed by the
caller's context bytes, so a ciphertext is bound to the key that sealed it and to its location.
No trial decryption: the key id says which key to use.
"""

from __future__ import annotations

import os
import re
from typing import NamedTuple

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crypto.errors import DecryptionFailed, MalformedCiphertext

VERSION = 1
NONCE_BYTES = 12
TAG_BYTES = 16
MAX_KEY_ID = 64
_KEY_ID = re.compile(rb"[A-Za-z0-9._-]{1,64}")


class Envelope(NamedTuple):
    version: int
    key_id: str
    header: bytes  # version, key id length, key id, nonce: authenticated as associated data
    nonce: bytes
    ciphertext: bytes  # includes the tag


def header(key_id: str, nonce: bytes) -> bytes:
    raw_id = key_id.encode("ascii")
    if not 1 <= len(raw_id) <= MAX_KEY_ID:
        raise ValueError("key id must be 1-64 ASCII bytes")
    return bytes((VERSION, len(raw_id))) + raw_id + nonce


def parse(blob: bytes) -> Envelope:
    """Split an envelope; any malformed input raises `MalformedCiphertext`, nothing else."""
    if not isinstance(blob, bytes):
        if not isinstance(blob, bytearray | memoryview):
            raise MalformedCiphertext()
        blob = bytes(blob)
    if len(blob) < 2 or blob[0] != VERSION:
        raise MalformedCiphertext()
    n = blob[1]
    body = 2 + n
    end = body + NONCE_BYTES
    if not 1 <= n <= MAX_KEY_ID or len(blob) < end + TAG_BYTES:
        raise MalformedCiphertext()
    raw_id = blob[2:body]
    if _KEY_ID.fullmatch(raw_id) is None:
        raise MalformedCiphertext()
    return Envelope(VERSION, raw_id.decode("ascii"), blob[:end], blob[body:end], blob[end:])


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
    """Unambiguous encoding of the associated-data parts (4-byte length prefix + UTF-8 each)."""
    encoded = [part.encode() for part in parts]
    return b"".join(len(raw).to_bytes(4, "big") + raw for raw in encoded)
