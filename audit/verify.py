"""Recompute every chain from the stored canonical bytes and check it against signed checkpoints.

Detects an edited row (hash mismatch), a deleted row (seq gap), reordered rows (seq/prev_hash
out of place) and a tail truncated after a checkpoint (the checkpoint names a seq the chain no
longer reaches, or a different hash at that seq). Checkpoints come from the table and, when
present, from the published files in `AUDIT_CHECKPOINT_DIR` (which a database superuser cannot
reach). Streams rows in chunks: memory stays flat however long the chains are.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

from audit import signing
from audit.canonical import GENESIS_HASH, checkpoint_message
from audit.checkpoints import checkpoint_payload
from audit.models import AuditEvent, ChainHead, Checkpoint

CHUNK = 10000
_CHECKPOINT_KEYS = ("chain", "seq", "hash", "time", "key_id", "source", "signature_valid")


@dataclass
class ChainReport:
    chain: str
    events_checked: int = 0
    last_seq: int = 0
    valid: bool = True
    first_broken_seq: int | None = None
    reason: str = ""
    checkpoint: dict[str, Any] | None = None

    def broken(self, seq: int, reason: str) -> None:
        if self.valid:
            self.valid, self.first_broken_seq, self.reason = False, seq, reason


@dataclass
class Report:
    valid: bool
    chains: list[ChainReport] = field(default_factory=list)
    events_checked: int = 0
    first_broken: dict[str, Any] | None = None
    last_checkpoint: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _published(chain: str) -> dict[str, Any] | None:
    path = Path(str(settings.AUDIT_CHECKPOINT_DIR)) / chain / "latest.json"
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data


def _signed_ok(cp: dict[str, Any]) -> bool:
    message = checkpoint_message(
        chain=cp["chain"], seq=int(cp["seq"]), head_hash=cp["hash"], time=cp["time"]
    )
    return signing.signature_valid(message, str(cp.get("signature", "")))


def _checkpoints(chain: str) -> list[dict[str, Any]]:
    """The newest checkpoint in the table and the newest published file (they may differ)."""
    found = []
    row = Checkpoint.objects.filter(chain=chain).order_by("-seq", "-id").first()
    if row is not None:
        found.append({**checkpoint_payload(row), "source": "table"})
    published = _published(chain)
    if published is not None:
        found.append({**published, "source": "published"})
    return found


class _ChainWalk:
    """State of one chain while its rows stream past."""

    def __init__(self, chain: str, deep: bool) -> None:
        self.report = ChainReport(chain=chain)
        self.expected_seq = 1
        self.prev = GENESIS_HASH
        self.deep = deep
        self.checkpoints = _checkpoints(chain)
        self.at_seq = {int(cp["seq"]): cp for cp in self.checkpoints}
        for cp in self.checkpoints:
            cp["signature_valid"] = _signed_ok(cp)
            if not cp["signature_valid"]:
                self.report.broken(int(cp["seq"]), f"checkpoint signature invalid ({cp['source']})")

    def consume(self, rows: Iterable[tuple[int, str, Any]]) -> None:
        """Walk this chain's rows in seq order; stop at the first broken link (hot loop)."""
        report, at_seq, deep, sha = self.report, self.at_seq, self.deep, hashlib.sha256
        if not report.valid:
            return
        expected, prev = self.expected_seq, self.prev
        prev_raw = bytes.fromhex(prev)
        for seq, digest, canonical in rows:
            if seq != expected:
                gap = "missing events (seq gap)" if seq > expected else "rows out of order"
                report.broken(expected, gap)
                break
            h = sha(prev_raw)
            h.update(canonical if type(canonical) is bytes else canonical.encode())
            prev_raw = h.digest()
            computed = prev_raw.hex()
            if computed != digest:
                report.broken(seq, "hash does not match the stored canonical bytes")
                break
            if deep and not self._deep_ok(seq, prev, canonical):
                break
            if at_seq and seq in at_seq and at_seq[seq]["hash"] != computed:
                report.broken(
                    seq, f"hash differs from the signed checkpoint ({at_seq[seq]['source']})"
                )
                break
            expected, prev = expected + 1, computed
        report.events_checked += expected - self.expected_seq
        report.last_seq = expected - 1
        self.expected_seq, self.prev = expected, prev

    def _deep_ok(self, seq: int, prev_hash: str, canonical: str | bytes) -> bool:
        record = json.loads(canonical)
        stored = {"chain": self.report.chain, "seq": seq, "prev_hash": prev_hash}
        for key, value in stored.items():
            if record.get(key) != value:
                self.report.broken(seq, f"canonical {key} differs from the row")
                return False
        return True

    def finish(self, head_seq: int) -> ChainReport:
        report = self.report
        if report.valid and head_seq > report.last_seq:
            report.broken(report.last_seq + 1, "truncated: the chain head is ahead of the events")
        for cp in self.checkpoints:
            if report.valid and int(cp["seq"]) > report.last_seq:
                report.broken(report.last_seq + 1, f"truncated after checkpoint ({cp['source']})")
        if self.checkpoints:
            best = max(self.checkpoints, key=lambda c: (int(c["seq"]), c["source"] == "table"))
            report.checkpoint = {k: best[k] for k in _CHECKPOINT_KEYS if k in best}
        return report


def _rows(chain: str) -> Iterator[tuple[int, str, Any]]:
    """Stream one chain's (seq, hash, canonical) in seq order, CHUNK rows per query.

    Keyset pages over the unique (chain, seq) index: no long transaction, flat memory. On
    PostgreSQL the canonical bytes (ASCII JSON) travel as text: bytea's hex form doubles the
    transfer and its decoding dominated the run. `prev_hash` is not fetched: the hash is
    recomputed from the previous event's hash, so a wrong link shows as a hash mismatch.
    """
    canonical = (
        "convert_from(canonical, 'UTF8')" if connection.vendor == "postgresql" else "canonical"
    )
    sql = (
        f"SELECT seq, hash, {canonical} FROM audit_auditevent "  # noqa: S608
        f"WHERE chain = %s AND seq > %s ORDER BY seq LIMIT {CHUNK}"
    )
    last = -(2**62)
    with connection.cursor() as cursor:
        while True:
            cursor.execute(sql, [chain, last])
            rows = cursor.fetchall()
            if not rows:
                return
            yield from rows
            last = rows[-1][0]


def _all_chains() -> set[str]:
    """Every chain with events, a head or a checkpoint (a chain emptied by deletion counts)."""
    with_events = AuditEvent.objects.values_list("chain", flat=True).distinct()
    heads = ChainHead.objects.values_list("chain", flat=True)
    checkpoints = Checkpoint.objects.values_list("chain", flat=True).distinct()
    return set(with_events) | set(heads) | set(checkpoints)


def verify_chains(chains: list[str] | None = None, *, deep: bool = False) -> Report:
    """Verify the given chains (all when None); report the first broken (chain, seq)."""
    heads = dict(ChainHead.objects.values_list("chain", "seq"))
    reports = []
    for chain in sorted(set(chains) if chains is not None else _all_chains()):
        walk = _ChainWalk(chain, deep)
        walk.consume(_rows(chain))
        reports.append(walk.finish(heads.get(chain, 0)))
    return _report(reports)


def _report(chain_reports: list[ChainReport]) -> Report:
    broken = next((c for c in chain_reports if not c.valid), None)
    checkpoints = [c.checkpoint for c in chain_reports if c.checkpoint]
    return Report(
        valid=broken is None,
        chains=chain_reports,
        events_checked=sum(c.events_checked for c in chain_reports),
        first_broken=(
            {"chain": broken.chain, "seq": broken.first_broken_seq, "reason": broken.reason}
            if broken
            else None
        ),
        last_checkpoint=max(checkpoints, key=lambda c: c["time"]) if checkpoints else None,
    )
