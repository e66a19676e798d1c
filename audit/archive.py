"""Retention: move a verified prefix of a chain into a signed file, then remove those rows.

`manage.py audit_archive --chain C [--through-seq N] --out DIR` (run as the database OWNER
role: the application role cannot delete audit rows, by design):

1. N is a signed checkpoint's seq (default: the newest checkpoint of C). The chain is verified
   from its current start (genesis or the previous archive anchor) up to N; if it does not
   verify, nothing is archived (and `audit.inconsistent` is recorded).
2. Events start..N are written to `DIR/audit-archive-<chain>-<start>-<N>.jsonl` in the export
   format (header, events, the checkpoint of N, signed footer): `python -m audit.verify_export`
   verifies it offline, like any export.
3. An archive statement "C archived through N, head hash H, file SHA-256 D, E events" is signed
   (Ed25519, the checkpoint key), stored in `audit_archive` and published next to the
   checkpoints. Only then are the rows deleted, in one transaction (triggers lifted for that
   transaction only, as the owner).

Verification of C then starts at (N, H) — the newest archive statement whose signature holds —
and checks every later event and checkpoint as before. A database-only attacker cannot forge an
archive statement to hide a deleted prefix: it needs the signing key.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from audit import signing, triggers
from audit.canonical import archive_message
from audit.checkpoints import _refuse, checkpoint_payload, checkpoint_sign
from audit.exports import EXPORT_FORMAT, FOOTER_CONTEXT, _event_lines, _line
from audit.models import Archive, AuditEvent, Checkpoint
from audit.published import publish_archive, validate_chain
from audit.services import audit_record
from audit.verify import anchor_of, verify_segment
from core.actor import Actor
from core.errors import Conflict


def archive_prefix(
    *,
    actor: Actor,
    chain: str,
    out_dir: Path,
    through: int | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> Archive:
    validate_chain(chain)
    start_seq, start_hash, problem = anchor_of(chain)
    if problem:
        raise _refuse(actor, chain, start_seq + 1, problem)
    if through is None:
        newest = Checkpoint.objects.filter(chain=chain).order_by("-seq").first()
        if newest is None:
            raise Conflict(f"Chain {chain} has no signed checkpoint to archive up to.")
        through = newest.seq
    if through <= start_seq:
        existing = Archive.objects.filter(chain=chain, seq=through).first()
        if existing is not None and through == start_seq:
            _delete_through(chain, through)  # finish an archive interrupted before the delete
            return existing
        raise Conflict(f"Chain {chain} is already archived through seq {start_seq}.")
    if not Checkpoint.objects.filter(chain=chain, seq=through).exists():
        raise Conflict(f"Archive only up to a signed checkpoint; seq {through} has none.")
    report, digest = verify_segment(chain, (start_seq, start_hash), through, progress=progress)
    if not report.valid:
        raise _refuse(actor, chain, report.first_broken_seq or through, report.reason)
    checkpoint = checkpoint_sign(actor=actor, chain=chain, through=through)
    _path, file_digest, count = _write_file(chain, start_seq + 1, through, checkpoint, out_dir)
    now = timezone.now()
    message = archive_message(
        chain=chain,
        seq=through,
        head_hash=digest,
        archive_sha256=file_digest,
        events=count,
        time=now.isoformat(timespec="microseconds"),
    )
    with transaction.atomic():
        archive = Archive.objects.create(
            chain=chain,
            seq=through,
            head_hash=digest,
            archive_sha256=file_digest,
            events=count,
            created_at=now,
            key_id=signing.key_id(),
            signature=signing.sign(message),
        )
    publish_archive(archive)
    _delete_through(chain, through)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="audit.archive",
            target=("audit.archive", archive.pk),
            reason=f"{chain}:{start_seq + 1}-{through}",
        )
    return archive


def _write_file(
    chain: str, first: int, last: int, checkpoint: Checkpoint, out_dir: Path
) -> tuple[Path, str, int]:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"audit-archive-{chain}-{first:012d}-{last:012d}.jsonl"
    digest, count = hashlib.sha256(), 0
    header = {
        "type": "header",
        "format": EXPORT_FORMAT,
        "archive": True,
        "agency_id": chain,
        "created_at": timezone.now().isoformat(timespec="microseconds"),
        "key_id": signing.key_id(),
        "public_key": signing.public_key_b64(),
        "from_seq": first,
        "to_seq": last,
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    with os.fdopen(fd, "wb") as handle:

        def add(line: bytes) -> None:
            digest.update(line)
            handle.write(line)

        add(_line(header))
        rows = AuditEvent.objects.filter(chain=chain, seq__gte=first, seq__lte=last)
        for line in _event_lines(rows.order_by("seq"), "chain"):
            add(line)
            count += 1
        add(_line({"type": "checkpoint", **checkpoint_payload(checkpoint)}))
        footer = {
            "type": "footer",
            "chain_events": count,
            "targeting_events": 0,
            "sha256": digest.hexdigest(),
            "signature": signing.sign(FOOTER_CONTEXT + digest.digest()),
        }
        line = _line(footer)
        handle.write(line)
        digest.update(line)
        handle.flush()
        os.fsync(handle.fileno())
    return path, digest.hexdigest(), count


def _delete_through(chain: str, seq: int) -> int:
    """Remove the archived rows: owner only (the triggers are lifted inside this transaction)."""
    tables = ("audit_auditevent",)
    with transaction.atomic():
        triggers.uninstall(connection, tables)
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM audit_auditevent WHERE chain = %s AND seq <= %s", [chain, seq]
            )
            deleted = cursor.rowcount
        triggers.install(connection, tables)
    return int(deleted)
