"""Signed JSONL exports of an agency's trail, verifiable offline (`python -m audit.verify_export`).

What an export proves (see docs/compliance-guide.md, "Exports"):

* `set: "chain"` lines are a contiguous segment of the agency's OWN chain, ending at a freshly
  signed checkpoint. Each record's hash links to the previous one, so the checkpoint signature
  covers every record in the segment: edits, gaps, reordering and truncation are all detected.
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
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from audit import signing
from audit.canonical import canonical_bytes
from audit.checkpoints import checkpoint_create, checkpoint_payload, latest_checkpoint, publish
from audit.models import AuditEvent, ChainHead, Checkpoint
from audit.selectors import audit_agency_of, audit_foreign_events_for
from audit.services import audit_record
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


def _covering_checkpoint(chain: str) -> Checkpoint | None:
    head = ChainHead.objects.filter(chain=chain).first()
    if head is None or head.seq == 0:
        return None
    current = latest_checkpoint(chain)
    if current is not None and current.seq == head.seq:
        return current
    with transaction.atomic():
        checkpoint = checkpoint_create(chain=chain, seq=head.seq, head_hash=head.hash)
    publish(checkpoint)
    return checkpoint


def audit_export_create(*, actor: Actor, from_seq: int = 1) -> Export:
    """Build a signed export of the caller's agency trail; the export itself is audited."""
    agency = audit_agency_of(actor)
    chain = str(agency)
    export_id = uuid.uuid4()
    checkpoint = _covering_checkpoint(chain)
    head = {
        "type": "header",
        "format": EXPORT_FORMAT,
        "export_id": str(export_id),
        "agency_id": chain,
        "created_at": timezone.now().isoformat(timespec="microseconds"),
        "key_id": signing.key_id(),
        "public_key": signing.public_key_b64(),
        "from_seq": from_seq,
    }
    digest, parts, counts = hashlib.sha256(), [], {"chain": 0, "targeting": 0}

    def add(line: bytes, kind: str | None = None) -> None:
        digest.update(line)
        parts.append(line)
        if kind:
            counts[kind] += 1

    add(_line(head))
    if checkpoint is not None:
        own = AuditEvent.objects.filter(chain=chain, seq__gte=from_seq, seq__lte=checkpoint.seq)
        for line in _event_lines(own.order_by("seq"), "chain"):
            add(line, "chain")
        add(_line({"type": "checkpoint", **checkpoint_payload(checkpoint)}))
    others = audit_foreign_events_for(agency)
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
