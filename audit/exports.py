"""Signed JSONL exports of an agency's trail, verifiable offline (`python -m audit.verify_export`).

What an export proves (see docs/compliance-guide.md, "Exports"):

* `set: "chain"` lines are a contiguous segment of the agency's OWN chain (a seq range, or the
  seq range spanning a time range), ending at a signed checkpoint of its last seq (signed
  only after the chain verifies up to there: a rewritten history is refused, 409). Each
  record's hash links to the previous one, so the checkpoint signature covers every record
  in the segment: edits, gaps, reordering and truncation are all detected.
* `set: "targeting"` lines are events from OTHER agencies' chains that this agency may see
  (`audit.selectors.audit_foreign_events_for`: reads, disclosures, transitions, messages and
  refusals on its data, and events of referrals sent to it).
  Exporting those chains would disclose other agencies' activity, so these records are listed
  with their own `prev_hash`/`hash` (each one's hash is recomputable from its bytes) and are
  anchored only by the export signature: they prove what the platform asserted at export time,
  and can be cross-checked against the other chain by the platform (`audit_verify`).
* The footer signs (Ed25519, same key as checkpoints) the SHA-256 of every byte before it.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from audit import signing
from audit.canonical import canonical_bytes
from audit.checkpoints import checkpoint_payload, checkpoint_sign
from audit.models import AuditEvent, ChainHead, Checkpoint
from audit.selectors import audit_agency_of, audit_foreign_events_for
from audit.services import audit_record
from audit.verify import anchor_of
from core.actor import Actor

EXPORT_FORMAT = "referral-hub-audit-export/1"
FOOTER_CONTEXT = b"referral-hub-audit-export/1\n"
_FIELDS = ("chain", "seq", "prev_hash", "hash", "canonical")


@dataclass(frozen=True)
class Export:
    export_id: uuid.UUID
    filename: str
    body: bytes
    chain_events: int
    targeting_events: int
    checkpoint: Checkpoint | None


def _line(obj: dict[str, Any]) -> bytes:
    return canonical_bytes(obj) + b"\n"


def _event_lines(rows: Any, set_name: str) -> Iterator[bytes]:
    for chain, seq, prev_hash, digest, canonical in rows.values_list(*_FIELDS).iterator(2000):
        yield _line(
            {
                "type": "event",
                "set": set_name,
                "chain": chain,
                "seq": seq,
                "prev_hash": prev_hash,
                "hash": digest,
                "canonical": bytes(canonical).decode("ascii"),
            }
        )


def _seq_range(
    chain: str, from_seq: int, to_seq: int | None, start: datetime | None, end: datetime | None
) -> tuple[int, int]:
    """The contiguous seq range to export: [from_seq, to_seq] narrowed to the events with
    `start <= occurred_at < end`. 0 as the end: nothing to export."""
    head = ChainHead.objects.filter(chain=chain).values_list("seq", flat=True).first() or 0
    from_seq = max(from_seq, anchor_of(chain)[0] + 1)  # an archived prefix is in its file
    last = min(head, to_seq) if to_seq else head
    if start is None and end is None:
        return from_seq, last
    rows = AuditEvent.objects.filter(chain=chain, seq__gte=from_seq, seq__lte=last)
    if start is not None:
        rows = rows.filter(occurred_at__gte=start)
    if end is not None:
        rows = rows.filter(occurred_at__lt=end)
    bounds = rows.aggregate(first=Min("seq"), last=Max("seq"))
    if bounds["first"] is None:
        return from_seq, 0
    return int(bounds["first"]), int(bounds["last"])


def audit_export_create(
    *,
    actor: Actor,
    from_seq: int = 1,
    to_seq: int | None = None,
    occurred_from: datetime | None = None,
    occurred_to: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> Export:
    """Build a signed export of the caller's agency trail; the export itself is audited.

    By seq (`from_seq`..`to_seq`) and/or by time (`occurred_from` <= occurred_at <
    `occurred_to`: the contiguous seq range spanning those events, whose ends a verifier can
    link; targeting events by the same times). Raises `ChainInconsistent` (409) when the chain
    does not verify up to the segment's end: nothing is signed then.
    """
    agency = audit_agency_of(actor)
    chain = str(agency)
    export_id = uuid.uuid4()
    first, last = _seq_range(chain, from_seq, to_seq, occurred_from, occurred_to)
    if first > last:
        last = 0  # nothing of the own chain in range
    checkpoint = checkpoint_sign(actor=actor, chain=chain, through=last) if last else None
    head = {
        "type": "header",
        "format": EXPORT_FORMAT,
        "export_id": str(export_id),
        "agency_id": chain,
        "created_at": timezone.now().isoformat(timespec="microseconds"),
        "key_id": signing.key_id(),
        "public_key": signing.public_key_b64(),
        "from_seq": first,
        "to_seq": last,
        "from": occurred_from.isoformat() if occurred_from else None,
        "to": occurred_to.isoformat() if occurred_to else None,
    }
    digest, parts, counts = hashlib.sha256(), [], {"chain": 0, "targeting": 0}

    def add(line: bytes, kind: str | None = None) -> None:
        digest.update(line)
        parts.append(line)
        if kind:
            counts[kind] += 1
            if progress is not None and (counts["chain"] + counts["targeting"]) % 10000 == 0:
                progress(counts["chain"] + counts["targeting"])

    add(_line(head))
    if checkpoint is not None:
        own = AuditEvent.objects.filter(chain=chain, seq__gte=first, seq__lte=checkpoint.seq)
        for line in _event_lines(own.order_by("seq"), "chain"):
            add(line, "chain")
        add(_line({"type": "checkpoint", **checkpoint_payload(checkpoint)}))
    others = audit_foreign_events_for(agency)
    if occurred_from is not None:
        others = others.filter(occurred_at__gte=occurred_from)
    if occurred_to is not None:
        others = others.filter(occurred_at__lt=occurred_to)
    for line in _event_lines(others.order_by("id"), "targeting"):
        add(line, "targeting")
    footer = {
        "type": "footer",
        "chain_events": counts["chain"],
        "targeting_events": counts["targeting"],
        "sha256": digest.hexdigest(),
        "signature": signing.sign(FOOTER_CONTEXT + digest.digest()),
    }
    parts.append(_line(footer))
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="audit.export",
            target=("audit.export", export_id),
            target_agency_id=agency,
        )
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    return Export(
        export_id=export_id,
        filename=f"audit-export-{chain}-{stamp}.jsonl",
        body=b"".join(parts),
        chain_events=counts["chain"],
        targeting_events=counts["targeting"],
        checkpoint=checkpoint,
    )
