"""Encrypt and decrypt any text of a client under that client's data key.

`seal`/`unseal` are the one entry point for every encrypted value (client fields, referral
reasons, messages, consent free text; `seal_text`/`unseal_text` for free text in a row's column):
AES-256-GCM under a key derived from the client's DEK by HKDF with
`table|column`, associated data binding (format version, table, column, row id, owning agency).

`unseal` on an erased client raises `ClientErased` (410, code `client_erased`); callers that
render erased records check `client.erased_at` first. Any other failure raises an
`IntegrityFailure` subclass (500) after writing a `crypto.decrypt_failed` audit event.
"""

from __future__ import annotations

import hmac
import uuid
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.actor import Actor, system_actor
from core.errors import IntegrityFailure
from crypto import envelope, scope
from crypto.datakeys import dek_ensure, dek_for
from crypto.errors import DataKeyMissing, DecryptionFailed


def field_context(*, table: str, column: str, row_id: Any, agency_id: Any) -> bytes:
    """The associated data of one stored value (the envelope header is prepended to it)."""
    return envelope.context_bytes("rh-field", "v1", table, column, str(row_id), str(agency_id))


@lru_cache(maxsize=256)
def _info(table: str, column: str) -> bytes:
    return envelope.context_bytes("rh-fenc", "v1", table, column) + b"\x01"


def hkdf_prk(dek: bytes) -> bytes:
    """HKDF-Extract(salt = 32 zero bytes, IKM = DEK), RFC 5869 with SHA-256."""
    return hmac.digest(bytes(32), dek, "sha256")


def derive_field_key(dek: bytes, table: str, column: str, *, prk: bytes | None = None) -> bytes:
    """HKDF-SHA256(DEK, salt = none, info = "rh-fenc" | "v1" | table | column), 32 bytes.

    RFC 5869 spelled out with `hmac` (Extract once per DEK, one Expand block per column): the
    same bytes as `cryptography`'s HKDF (a test checks it), at a fraction of the call cost.
    """
    return hmac.digest(prk or hkdf_prk(dek), _info(table, column), "sha256")


def _binding(client: Any, table: str, column: str, row_id: Any) -> tuple[str, AESGCM, bytes]:
    """(DEK id, field AEAD, associated data) for one location; cached for the current scope."""
    current = scope.current()
    cache_key = (client.pk, table, column, row_id)
    found = current.aeads.get(cache_key)
    if found is not None and client.erased_at is None:
        return found  # type: ignore[no-any-return]
    key_id, dek = dek_for(client)
    aead = current.aeads.get((client.pk, table, column))
    if aead is None:
        prk = current.aeads.get((client.pk, "prk"))
        if prk is None:
            prk = current.aeads[(client.pk, "prk")] = hkdf_prk(dek)
        aead = AESGCM(derive_field_key(dek, table, column, prk=prk))
        current.aeads[(client.pk, table, column)] = aead
    ctx = field_context(table=table, column=column, row_id=row_id, agency_id=client.agency_id)
    current.aeads[cache_key] = (key_id, aead, ctx)
    return key_id, aead, ctx


def seal(*, client: Any, table: str, column: str, row_id: Any, value: str | None) -> bytes | None:
    """Encrypt `value` (None stays None) for (table, column, row_id) of this client."""
    if value is None:
        return None
    try:
        key_id, aead, ctx = _binding(client, table, column, row_id)
    except DataKeyMissing:
        dek_ensure(client=client)
        key_id, aead, ctx = _binding(client, table, column, row_id)
    return envelope.seal(aead, key_id, value.encode(), ctx)


def unseal(
    *,
    client: Any,
    table: str,
    column: str,
    row_id: Any,
    blob: bytes | memoryview | None,
    actor: Actor | None = None,
) -> str | None:
    """Decrypt what `seal` produced for exactly this location; None stays None."""
    if blob is None:
        return None
    try:
        parsed = envelope.parse(blob if isinstance(blob, bytes) else bytes(blob))
        key_id, aead, ctx = _binding(client, table, column, row_id)
        if parsed.key_id != key_id:
            raise DecryptionFailed()
        return envelope.open_(aead, parsed, ctx).decode()
    except IntegrityFailure as exc:
        report_failure(client=client, table=table, row_id=row_id, error=exc, actor=actor)
        raise
    except UnicodeDecodeError:
        error = DecryptionFailed()
        report_failure(client=client, table=table, row_id=row_id, error=error, actor=actor)
        raise error from None


def seal_text(*, client: Any, row: Any, column: str, value: str | None) -> bytes | None:
    """Seal free text for (`row`'s table, `column`, `row.pk`) under the client's data key.

    Empty text is stored as NULL. `row` needs only its primary key (it may not be saved yet).
    """
    if not value:
        return None
    return seal(client=client, table=row._meta.db_table, column=column, row_id=row.pk, value=value)


def unseal_text(
    *,
    client: Any,
    row: Any,
    column: str,
    stored_in: str = "",
    actor: Actor | None = None,
) -> str | None:
    """What `seal_text` sealed for (`row`, `column`): None when nothing is stored or the client
    was erased. The ciphertext is `row.<stored_in or column>`. A failed decrypt raises."""
    stored = getattr(row, stored_in or column)
    if stored is None or client.erased_at is not None:
        return None
    return unseal(
        client=client,
        table=row._meta.db_table,
        column=column,
        row_id=row.pk,
        blob=bytes(stored),
        actor=actor,
    )


def report_failure(
    *, client: Any, table: str, row_id: Any, error: IntegrityFailure, actor: Actor | None = None
) -> None:
    """Audit a failed decrypt on the independent connection (it survives the rollback)."""
    from audit.services import INDEPENDENT, audit_record

    audit_record(
        actor=actor or system_actor("crypto"),
        action="crypto.decrypt_failed",
        target=(table, row_id),
        subject_id=client.pk if isinstance(client.pk, uuid.UUID) else None,
        subject_agency_id=client.agency_id,  # the row may not be committed yet: no look-up
        target_agency_id=client.agency_id,
        outcome="error",
        reason=error.code,
        using=INDEPENDENT,
    )
