"""Signed checkpoints: signed only after the chain verifies, kept forever, published as files.

Consistency before signing (Certificate Transparency's rule: a signed head only ever extends
the previous one): to sign "chain C had hash H at seq N", the chain is first verified from the
newest signed checkpoint at or below N (or the archive anchor, or the genesis) up to N: links,
per-event MACs and bound columns (audit/verify.py). If that fails nothing is signed, an
`audit.inconsistent` event is recorded through the independent connection (it survives the
refusal), and `ChainInconsistent` (409 `audit_inconsistent`) is raised: the command exits
non-zero, the endpoint answers a problem. A rewritten history is therefore never re-signed.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from audit import signing
from audit.canonical import checkpoint_message
from audit.models import ChainHead, Checkpoint
from audit.published import (
    archive_payload,
    checkpoint_payload,
    publish,
    validate_chain,
)
from audit.selectors import audit_agency_of
from audit.services import INDEPENDENT, audit_record
from core.actor import Actor
from core.errors import Conflict

logger = logging.getLogger(__name__)

__all__ = [
    "ChainInconsistent",
    "archive_payload",
    "checkpoint_all",
    "checkpoint_payload",
    "checkpoint_request",
    "checkpoint_sign",
    "latest_checkpoint",
    "publish",
]


class ChainInconsistent(Conflict):
    code = "audit_inconsistent"
    title = "The audit chain does not verify; nothing was signed."


def _iso(checkpoint: Checkpoint) -> str:
    return checkpoint.created_at.isoformat(timespec="microseconds")


def checkpoint_signature_valid(checkpoint: Checkpoint) -> bool:
    message = checkpoint_message(
        chain=checkpoint.chain,
        seq=checkpoint.seq,
        head_hash=checkpoint.head_hash,
        time=_iso(checkpoint),
    )
    return signing.signature_valid(message, checkpoint.signature, checkpoint.key_id)


def latest_checkpoint(chain: str) -> Checkpoint | None:
    return Checkpoint.objects.filter(chain=chain).order_by("-seq", "-id").first()


def _refuse(actor: Actor, chain: str, seq: int, reason: str) -> ChainInconsistent:
    """Record `audit.inconsistent` (independently: it survives the refusal) and build the error."""
    agency = None if chain == "platform" else uuid.UUID(chain)
    audit_record(
        actor=actor,
        action="audit.inconsistent",
        target=("audit.chain", f"{chain}#{seq}"),
        target_agency_id=agency,
        outcome="error",
        reason=reason[:64],
        using=INDEPENDENT,
    )
    logger.error("audit chain inconsistent", extra={"chain": chain, "seq": seq, "reason": reason})
    return ChainInconsistent(
        f"Chain {chain} does not verify at seq {seq} ({reason}); nothing was signed.",
        chain=chain,
        seq=seq,
        reason=reason,
    )


def _start(chain: str, through: int) -> tuple[tuple[int, str], str | None]:
    """The trusted point to verify from: the newest signed checkpoint at or below `through`
    (above the archive anchor), else the anchor. A bad signature anywhere is a problem."""
    from audit.verify import anchor_of, checkpoints_of

    seq, digest, problem = anchor_of(chain)
    if problem:
        return (seq, digest), problem
    hashes: dict[int, set[str]] = {}
    for cp in checkpoints_of(chain):
        if not cp["signature_valid"]:
            return (seq, digest), f"checkpoint signature invalid ({cp['source']})"
        hashes.setdefault(int(cp["seq"]), set()).add(str(cp["hash"]))
    split = next((s for s, h in sorted(hashes.items()) if len(h) > 1), None)
    if split is not None:
        return (seq, digest), f"two signed checkpoints disagree at seq {split}"
    best = max((s for s in hashes if seq < s <= through), default=None)
    if best is None:
        return (seq, digest), None
    return (best, next(iter(hashes[best]))), None


def checkpoint_sign(*, actor: Actor, chain: str, through: int | None = None) -> Checkpoint:
    """Sign (chain, seq, hash, now) after verifying the chain up to `through` (default: the
    head). Idempotent: an existing checkpoint of the same seq under the current key is reused."""
    validate_chain(chain)
    head = ChainHead.objects.filter(chain=chain).first()
    head_seq = head.seq if head else 0
    seq = head_seq if through is None else through
    if seq < 1 or seq > head_seq:
        raise Conflict(f"Chain {chain} has no event at seq {seq} to sign.", code="nothing_to_sign")
    existing = (
        Checkpoint.objects.filter(chain=chain, seq=seq, key_id=signing.key_id())
        .order_by("-id")
        .first()
    )
    from audit.verify import HEAD_DIFFERS, checkpoints_of, verify_segment

    start, problem = _start(chain, seq)
    if problem:
        raise _refuse(actor, chain, start[0] + 1, problem)
    report, digest = verify_segment(chain, start, seq)
    if not report.valid:
        raise _refuse(actor, chain, report.first_broken_seq or seq, report.reason)
    beyond = [c for c in checkpoints_of(chain) if int(c["seq"]) > head_seq]
    if beyond:
        where = beyond[0]["source"]
        raise _refuse(actor, chain, head_seq + 1, f"truncated after checkpoint ({where})")
    if head is not None and seq == head.seq and head.hash != digest:
        raise _refuse(actor, chain, seq, HEAD_DIFFERS)
    if existing is not None and existing.head_hash == digest:
        return existing
    now = timezone.now()
    message = checkpoint_message(
        chain=chain, seq=seq, head_hash=digest, time=now.isoformat(timespec="microseconds")
    )
    with transaction.atomic():
        checkpoint = Checkpoint.objects.create(
            chain=chain,
            seq=seq,
            head_hash=digest,
            created_at=now,
            key_id=signing.key_id(),
            signature=signing.sign(message),
        )
    publish(checkpoint)
    return checkpoint


def checkpoint_all(*, actor: Actor) -> list[Checkpoint]:
    """Checkpoint every chain whose head moved since its last checkpoint (or that has none under
    the current key, after a rotation); publish each one. A chain that fails to verify is
    refused (and recorded); the others are still signed, then the first refusal is raised.

    Safe to run on a schedule from any number of workers (a second run reuses the checkpoint).
    """
    signed_now: dict[str, int] = {}
    for chain, seq in Checkpoint.objects.filter(key_id=signing.key_id()).values_list(
        "chain", "seq"
    ):
        signed_now[chain] = max(seq, signed_now.get(chain, 0))
    created, refused = [], []
    for head in ChainHead.objects.filter(seq__gt=0).order_by("chain"):
        if signed_now.get(head.chain) == head.seq:
            continue
        try:
            created.append(checkpoint_sign(actor=actor, chain=head.chain, through=head.seq))
        except ChainInconsistent as exc:
            refused.append(exc)
    logger.info(
        "audit checkpoints written",
        extra={"count": len(created), "refused": len(refused), "actor_kind": actor.kind},
    )
    if refused:
        first = refused[0]
        first.extra.update(refused_chains=[e.extra["chain"] for e in refused], signed=len(created))
        raise first
    return created


def checkpoint_request(*, actor: Actor) -> Checkpoint:
    """A compliance officer asks for a checkpoint of their agency's chain now (audited)."""
    chain = str(audit_agency_of(actor))
    checkpoint = checkpoint_sign(actor=actor, chain=chain)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="audit.checkpoint",
            target=("audit.checkpoint", checkpoint.pk),
            target_agency_id=uuid.UUID(chain),
            reason=f"seq={checkpoint.seq}",
        )
    return checkpoint


def checkpoint_dict(checkpoint: Checkpoint) -> dict[str, Any]:
    return {**checkpoint_payload(checkpoint), "source": "table", "signature_valid": True}
