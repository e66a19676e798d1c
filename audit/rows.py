"""An audit event's stored row: its position in the chain, canonical bytes, hash and MAC."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from audit import mac
from audit.canonical import canonical_bytes, chain_hash
from audit.models import AuditEvent


def materialize(
    record: dict[str, Any], seq: int, prev_hash: str, bound: list[tuple[str, str]] | None = None
) -> dict[str, Any]:
    """The full row for position (seq, prev_hash): canonical bytes, hash and MAC (`bound`:
    `mac.bound_fields()`, when the caller already has it)."""
    row = {**record, "seq": seq, "prev_hash": prev_hash}
    canonical = canonical_bytes(row)
    row["hash"] = chain_hash(prev_hash, canonical)
    row["mac"] = mac.event_mac(row["hash"], mac.column_digest(row, bound or mac.bound_fields()))
    row["canonical"] = canonical
    return row


def event(row: dict[str, Any], *, using: str, pk: int | None = None) -> AuditEvent:
    fields = {k: v for k, v in row.items() if k != "occurred_at"}
    event = AuditEvent(**fields, occurred_at=datetime.fromisoformat(row["occurred_at"]))
    if pk is not None:
        event.id = pk
        event._state.adding, event._state.db = False, using
    return event


def linked(run: list[dict[str, Any]], seq: int, prev_hash: str) -> list[dict[str, Any]]:
    """The rows of `run` at positions seq + 1, seq + 2, ..., each linked to the one before."""
    rows, bound = [], mac.bound_fields()
    for record in run:
        seq += 1
        row = materialize(record, seq, prev_hash, bound)
        rows.append(row)
        prev_hash = row["hash"]
    return rows
