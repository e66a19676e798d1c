"""Signed checkpoints of every chain head, stored in the table and published as JSON files."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from audit import signing
from audit.canonical import CHECKPOINT_FORMAT, checkpoint_message
from audit.models import ChainHead, Checkpoint
from core.actor import Actor

logger = logging.getLogger(__name__)


def checkpoint_payload(checkpoint: Checkpoint) -> dict[str, Any]:
    """The published form: everything a verifier needs besides the public key."""
    return {
        "format": CHECKPOINT_FORMAT,
        "chain": checkpoint.chain,
        "seq": checkpoint.seq,
        "hash": checkpoint.head_hash,
        "time": _iso(checkpoint),
        "key_id": checkpoint.key_id,
        "signature": checkpoint.signature,
    }


def _iso(checkpoint: Checkpoint) -> str:
    return checkpoint.created_at.isoformat(timespec="microseconds")


def checkpoint_signature_valid(checkpoint: Checkpoint) -> bool:
    message = checkpoint_message(
        chain=checkpoint.chain,
        seq=checkpoint.seq,
        head_hash=checkpoint.head_hash,
        time=_iso(checkpoint),
    )
    return signing.signature_valid(message, checkpoint.signature)


def checkpoint_create(*, chain: str, seq: int, head_hash: str) -> Checkpoint:
    """Sign (chain, seq, head hash, now) and store it (no update/delete: triggers)."""
    now = timezone.now()
    message = checkpoint_message(
        chain=chain, seq=seq, head_hash=head_hash, time=now.isoformat(timespec="microseconds")
    )
    return Checkpoint.objects.create(
        chain=chain,
        seq=seq,
        head_hash=head_hash,
        created_at=now,
        key_id=signing.key_id(),
        signature=signing.sign(message),
    )


def publish(checkpoint: Checkpoint, folder: str | None = None) -> Path:
    """Write `<dir>/<chain>/<seq>.json` and `<dir>/<chain>/latest.json`, outside the table."""
    base = Path(folder or str(settings.AUDIT_CHECKPOINT_DIR)) / checkpoint.chain
    base.mkdir(parents=True, exist_ok=True)
    text = json.dumps(checkpoint_payload(checkpoint), sort_keys=True, indent=2) + "\n"
    path = base / f"{checkpoint.seq:012d}.json"
    path.write_text(text)
    (base / "latest.json").write_text(text)
    return path


def latest_checkpoint(chain: str) -> Checkpoint | None:
    return Checkpoint.objects.filter(chain=chain).order_by("-seq", "-id").first()


def checkpoint_all(*, actor: Actor) -> list[Checkpoint]:
    """Checkpoint every chain whose head moved since its last checkpoint; publish each one.

    Safe to run on a schedule from any number of workers (a duplicate checkpoint of the same
    head is harmless). `actor` names who asked (operator command, worker) in the log.
    """
    latest = dict(
        Checkpoint.objects.values("chain").annotate(top=Max("seq")).values_list("chain", "top")
    )
    # After a signing-key rotation every chain gets one checkpoint under the new key, so the
    # newest checkpoint of a quiet chain verifies with the current public key too.
    signed_now = set(
        Checkpoint.objects.filter(key_id=signing.key_id()).values_list("chain", flat=True)
    )
    created = []
    for head in ChainHead.objects.filter(seq__gt=0).order_by("chain"):
        if latest.get(head.chain) == head.seq and head.chain in signed_now:
            continue
        with transaction.atomic():
            checkpoint = checkpoint_create(chain=head.chain, seq=head.seq, head_hash=head.hash)
        publish(checkpoint)
        created.append(checkpoint)
    logger.info(
        "audit checkpoints written",
        extra={"count": len(created), "actor_kind": actor.kind},
    )
    return created
