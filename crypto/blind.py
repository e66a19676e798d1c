"""Blind indexes: truncated HMAC-SHA256 of normalised values, keyed per agency and per index.

Each agency has a random index root key (stored wrapped by a KEK, rewrapped by rotation);
the key of one index is HKDF(root, "rh-bidx|v1|<table>|<index>"). Values are truncated to
`bits` so that unrelated people sometimes share a value (deliberate coincidences); callers
decrypt the candidates and compare. Never comparable across agencies.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import unicodedata
import uuid
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.db import IntegrityError, transaction

from core.actor import system_actor
from core.errors import IntegrityFailure
from crypto import scope
from crypto.envelope import context_bytes
from crypto.models import IndexKey
from crypto.providers import get_provider


def normalise(value: str) -> str:
    """NFKC, accents stripped, casefolded, whitespace collapsed and trimmed."""
    decomposed = unicodedata.normalize("NFKD", value)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    folded = unicodedata.normalize("NFKC", bare).casefold()
    return " ".join(folded.split())


def root_context(agency_id: uuid.UUID) -> bytes:
    return context_bytes("rh-bidx-root", "v1", str(agency_id))


def _root_key(agency_id: uuid.UUID) -> bytes:
    stored = IndexKey.objects.filter(agency_id=agency_id).first()
    if stored is None:
        stored = _create_root(agency_id)
    try:
        return get_provider().unwrap(bytes(stored.wrapped), context=root_context(agency_id))
    except IntegrityFailure as exc:
        _report_failure(agency_id, exc)
        raise


def _report_failure(agency_id: uuid.UUID, error: IntegrityFailure) -> None:
    """Audit a root key that does not unwrap for its agency (independent connection)."""
    from audit.services import INDEPENDENT, audit_record

    audit_record(
        actor=system_actor("crypto"),
        action="crypto.decrypt_failed",
        target=(IndexKey._meta.db_table, agency_id),
        target_agency_id=agency_id,
        outcome="error",
        reason=error.code,
        using=INDEPENDENT,
    )


def _create_root(agency_id: uuid.UUID) -> IndexKey:
    kek_id, wrapped = get_provider().wrap(os.urandom(32), context=root_context(agency_id))
    try:
        with transaction.atomic():
            return IndexKey.objects.create(agency_id=agency_id, kek_id=kek_id, wrapped=wrapped)
    except IntegrityError:
        return IndexKey.objects.get(agency_id=agency_id)  # a concurrent writer won


def index_key(*, agency_id: uuid.UUID, table: str, index: str) -> bytes:
    """The HMAC key of one blind index of one agency (cached for the current scope)."""
    current = scope.current()
    cache_key = (agency_id, table, index)
    key = current.index_keys.get(cache_key)
    if key is None:
        info = context_bytes("rh-bidx", "v1", table, index)
        root = _root_key(agency_id)
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(root)
        current.index_keys[cache_key] = key
    return key


def blind_index(*, agency_id: uuid.UUID, table: str, index: str, values: Any, bits: int) -> str:
    """Hex of the first `bits` bits of HMAC(index key, normalised values)."""
    message = context_bytes(*(normalise(str(v)) for v in values))
    digest = hmac.new(
        index_key(agency_id=agency_id, table=table, index=index), message, hashlib.sha256
    )
    number = int.from_bytes(digest.digest()[:8], "big") >> (64 - bits)
    return format(number, f"0{(bits + 3) // 4}x")
