"""Verify every chain: links, per-event MACs, bound columns, and every signed checkpoint.

For each row, in seq order, from the genesis (or from a signed archive anchor):

* `seq` follows the previous one (a gap: deleted rows; out of place: reordered);
* `hash = SHA-256(prev || canonical)` is recomputed from the previous event's hash;
* `mac = HMAC(K, hash || SHA-256(columns))` holds (audit/mac.py). K is not in the database,
  so a row added, altered or relinked by someone holding only database credentials fails here,
  at that row, and so does an edit of ANY stored column (`action`, `actor_id`, `outcome`,
  `object_id`, ... every column the API serves, filters on or exports, except the cursor `id`).
  The column digest is computed by the database on PostgreSQL as it reads each row (one
  SHA-256 per row, no JSON parsing; never a digest stored at write time, which a superuser
  could leave stale: docs/performance.md, "Verification"), so this is the fast path, not an
  option. On failure the row is examined to say which: hash, a column that differs from the
  canonical record, or a forged MAC.
* every signed checkpoint at that seq (all of them: the table AND every published file, under
  the key its `key_id` names, current or retired) names the same hash.

Afterwards: a checkpoint beyond the last row (or a head ahead of it) means a truncated tail.
The report says how many events are not yet covered by a signed checkpoint and since when.
Streams rows in pages (audit/verify_rows.py), the next pages fetched while this process checks
the current one (on the caller's connection inside a transaction; outside one, a large
verification on two connections of its own): memory stays flat however long the chains are.
"""

from __future__ import annotations

import binascii
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone

from audit import mac
from audit.canonical import GENESIS_HASH, archive_message, chain_hash, checkpoint_message
from audit.models import Archive, AuditEvent, ChainHead, Checkpoint
from audit.published import archive_payload, checkpoint_payload, published, published_archives
from audit.shadowing import refusal, shadowing_objects
from audit.signing import signature_valid
from audit.verify_rows import Stream

_CHECKPOINT_KEYS = ("chain", "seq", "hash", "time", "key_id", "source", "signature_valid")
Progress = Callable[[str, int], None]


@dataclass
class ChainReport:
    chain: str
    events_checked: int = 0
    last_seq: int = 0
    valid: bool = True
    first_broken_seq: int | None = None
    reason: str = ""
    checkpoint: dict[str, Any] | None = None  # the newest valid one
    checkpoints_checked: int = 0
    unsigned_events: int = 0  # events after the newest signed checkpoint
    seconds_since_checkpoint: float | None = None
    archived_through_seq: int = 0

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
    unsigned_events: int = 0
    seconds_since_checkpoint: float | None = None  # the oldest "newest checkpoint" of a chain

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _checkpoint_ok(cp: dict[str, Any]) -> bool:
    try:
        message = checkpoint_message(
            chain=cp["chain"], seq=int(cp["seq"]), head_hash=cp["hash"], time=cp["time"]
        )
    except (KeyError, TypeError, ValueError):
        return False
    return signature_valid(message, str(cp.get("signature", "")), str(cp.get("key_id", "")))


def _archive_ok(ar: dict[str, Any]) -> bool:
    try:
        message = archive_message(
            chain=ar["chain"],
            seq=int(ar["seq"]),
            head_hash=ar["hash"],
            archive_sha256=ar["archive_sha256"],
            events=int(ar["events"]),
            time=ar["time"],
        )
    except (KeyError, TypeError, ValueError):
        return False
    return signature_valid(message, str(ar.get("signature", "")), str(ar.get("key_id", "")))


def checkpoints_of(chain: str) -> list[dict[str, Any]]:
    """Every checkpoint of the chain: each table row and each published file."""
    rows = [
        {**checkpoint_payload(cp), "source": "table"}
        for cp in Checkpoint.objects.filter(chain=chain).order_by("seq", "id")
    ]
    files = [{**cp, "source": "published"} for cp in published(chain)]
    for cp in rows + files:
        cp["signature_valid"] = _checkpoint_ok(cp) and cp.get("chain") == chain
    return rows + files


def anchor_of(chain: str) -> tuple[int, str, str | None]:
    """Where verification of `chain` starts: (seq, hash, problem). (0, genesis) unless a prefix
    was archived; the newest archive statement whose signature holds is the anchor."""
    found = [{**archive_payload(a), "source": "table"} for a in Archive.objects.filter(chain=chain)]
    found += [{**a, "source": "published"} for a in published_archives(chain)]
    best: dict[str, Any] | None = None
    for ar in found:
        if not (_archive_ok(ar) and ar.get("chain") == chain):
            seq = int(ar.get("seq", 0)) if str(ar.get("seq", "")).isdigit() else 0
            return seq, GENESIS_HASH, f"archive statement signature invalid ({ar['source']})"
        if best is None or int(ar["seq"]) > int(best["seq"]):
            best = ar
    if best is None:
        return 0, GENESIS_HASH, None
    return int(best["seq"]), str(best["hash"]), None


class _ChainWalk:
    """State of one chain while its rows stream past."""

    def __init__(
        self,
        chain: str,
        deep: bool,
        start: tuple[int, str] | None = None,
        head: tuple[int, str] | None = None,
    ) -> None:
        self.report = ChainReport(chain=chain)
        self.deep = deep
        if start is None:
            seq, digest, problem = anchor_of(chain)
            if problem:
                self.report.broken(seq + 1, problem)
            start = (seq, digest)
        self.start_seq = start[0]
        self.report.archived_through_seq = start[0]
        self.expected_seq, self.prev = start[0] + 1, start[1]
        self.report.last_seq = start[0]
        self.checkpoints = checkpoints_of(chain)
        self.at_seq: dict[int, list[dict[str, Any]]] = {}
        for cp in self.checkpoints:
            if not cp["signature_valid"]:
                self.report.broken(int(cp["seq"]), f"checkpoint signature invalid ({cp['source']})")
                continue
            if int(cp["seq"]) == self.start_seq and cp["hash"] != self.prev:
                self.report.broken(self.start_seq + 1, "checkpoint differs from the archive anchor")
            if int(cp["seq"]) > self.start_seq:
                self.at_seq.setdefault(int(cp["seq"]), []).append(cp)
        self.report.checkpoints_checked = sum(map(len, self.at_seq.values()))
        # The head as read before the walk: the walk may go past it (events appended since are
        # walked too), so its hash is compared at its own seq as the rows stream past.
        self.head, self.start_hash = head, start[1]
        if head is not None and head[0] > self.start_seq:
            self.at_seq.setdefault(head[0], []).append({"hash": head[1], "head": True})

    def consume(self, rows: Iterable[tuple[int, bytes, bytes]]) -> None:
        """Walk the next rows of this chain in seq order (audit/verify_rows.py: seq, canonical
        bytes, hex of the stored MAC then of the column digest); stop at the first broken one.
        Called page after page; the hot loop of verification."""
        report, at_seq, deep, sha = self.report, self.at_seq, self.deep, hashlib.sha256
        if not report.valid:
            return
        inner, outer = mac.hmac_pads(mac.keys()[0])
        unhex = binascii.unhexlify
        expected, prev_raw = self.expected_seq, bytes.fromhex(self.prev)
        start = expected
        for seq, canonical, sealed in rows:
            if seq != expected:
                gap = "missing events (seq gap)" if seq > expected else "rows out of order"
                report.broken(expected, gap)
                break
            h = sha(prev_raw)
            h.update(canonical)
            raw = h.digest()
            try:
                pair = unhex(sealed)  # stored MAC (32 bytes when well formed), column digest
            except ValueError:
                pair = b""
            digest = pair[-32:]
            i = inner.copy()
            i.update(raw + digest)
            o = outer.copy()
            o.update(i.digest())
            if o.digest() != pair[:-32] and not mac.mac_ok(raw, digest, pair[:-32].hex()):
                report.broken(seq, diagnose(report.chain, seq, prev_raw.hex()))
                break
            if deep and not self._deep_ok(seq, prev_raw.hex(), canonical):
                break
            prev_raw = raw
            if at_seq and seq in at_seq:
                computed = raw.hex()
                bad = next((c for c in at_seq[seq] if c["hash"] != computed), None)
                if bad is not None:
                    report.broken(seq, _differs(bad))
                    break
            expected += 1
        report.events_checked += expected - start
        report.last_seq = expected - 1
        self.expected_seq, self.prev = expected, prev_raw.hex()

    def _deep_ok(self, seq: int, prev_hash: str, canonical: str | bytes) -> bool:
        problem = columns_problem(self.report.chain, seq, prev_hash, canonical)
        if problem:
            self.report.broken(seq, problem)
        return not problem

    def finish(self) -> ChainReport:
        report, head = self.report, self.head
        head_seq, head_hash = head or (0, GENESIS_HASH)
        if report.valid and head_seq > report.last_seq:
            report.broken(report.last_seq + 1, "truncated: the chain head is ahead of the events")
        elif (
            report.valid
            and head is not None
            and head_seq <= self.start_seq  # else compared as the rows went past (consume)
            and (head_seq, head_hash) != (self.start_seq, self.start_hash)
        ):
            report.broken(head_seq, HEAD_DIFFERS)
        for seq in sorted(self.at_seq):
            if report.valid and seq > report.last_seq and "head" not in self.at_seq[seq][0]:
                source = self.at_seq[seq][0]["source"]
                report.broken(report.last_seq + 1, f"truncated after checkpoint ({source})")
        valid = [c for c in self.checkpoints if c["signature_valid"]]
        if valid:
            best = max(valid, key=lambda c: (int(c["seq"]), c["time"], c["source"] == "table"))
            report.checkpoint = {k: best[k] for k in _CHECKPOINT_KEYS if k in best}
            report.unsigned_events = max(0, report.last_seq - int(best["seq"]))
            age = timezone.now() - datetime.fromisoformat(best["time"])
            report.seconds_since_checkpoint = round(age.total_seconds(), 3)
        else:
            report.unsigned_events = report.last_seq - report.archived_through_seq
        return report


HEAD_DIFFERS = "the chain head's hash differs from the events"


def _differs(expected: dict[str, Any]) -> str:
    if expected.get("head"):
        return HEAD_DIFFERS
    return f"hash differs from the signed checkpoint ({expected['source']})"


def _row_values(chain: str, seq: int) -> dict[str, Any] | None:
    names = [c for c, _ in mac.bound_fields()] + ["canonical", "mac"]
    row: dict[str, Any] | None = (
        AuditEvent.objects.filter(chain=chain, seq=seq).values(*names).first()
    )
    return row


def columns_problem(chain: str, seq: int, prev_hash: str, canonical: str | bytes) -> str:
    """Each key of the canonical record that is a column must equal the stored column."""
    row = _row_values(chain, seq)
    if row is None:
        return "row missing"
    try:
        record = json.loads(canonical)
    except ValueError:
        return "canonical bytes are not JSON"
    kinds = dict(mac.bound_fields())
    if record.get("prev_hash") != prev_hash:
        return "canonical prev_hash does not link to the previous event"
    for key, value in record.items():
        kind = kinds.get(key)
        if kind and mac.text_of(kind, value) != mac.text_of(kind, row[key]):
            return f"column {key} differs from the canonical record"
    return ""


def diagnose(chain: str, seq: int, prev_hash: str) -> str:
    """Why the MAC of (chain, seq) failed: slow, runs once, on the broken row only."""
    row = _row_values(chain, seq)
    if row is None:
        return "row missing"
    canonical = bytes(row["canonical"])
    if chain_hash(prev_hash, canonical) != row["hash"]:
        if row["prev_hash"] != prev_hash:
            return "does not link to the previous event (relinked, reordered or inserted)"
        return "hash does not match the stored canonical bytes"
    problem = columns_problem(chain, seq, prev_hash, canonical)
    if problem:
        return problem
    return "MAC invalid: written without the application's audit key (forged)"


def _all_chains() -> set[str]:
    """Every chain with events, a head, a checkpoint or an archive."""
    found: set[str] = set()
    for model in (AuditEvent, ChainHead, Checkpoint, Archive):
        found |= set(model.objects.values_list("chain", flat=True).distinct())
    return found


def _walk_all(walks: list[_ChainWalk], through: int | None, progress: Progress | None) -> None:
    """Stream every walk's rows (fetched ahead, audit/verify_rows.py) through its walk; none
    while the database holds an object that could make its statements lie (audit/shadowing.py):
    each chain is then reported unverified at its first event."""
    found = shadowing_objects()
    for walk in walks if found else []:
        walk.report.broken(walk.start_seq + 1, refusal(found))
    live = [w for w in walks if w.report.valid]
    done = [0] * len(live)
    with Stream([(w.report.chain, w.start_seq, through) for w in live]) as stream:
        for index, rows in stream:
            walk = live[index]
            walk.consume(rows)
            if not walk.report.valid:
                stream.skip(index)
            done[index] += len(rows)
            if progress is not None:
                progress(walk.report.chain, done[index])


def verify_chains(
    chains: list[str] | None = None, *, deep: bool = False, progress: Progress | None = None
) -> Report:
    """Verify the given chains (all when None); report the first broken (chain, seq)."""
    heads = {h.chain: (h.seq, h.hash) for h in ChainHead.objects.all()}
    names = sorted(set(chains) if chains is not None else _all_chains())
    walks = [_ChainWalk(chain, deep, head=heads.get(chain)) for chain in names]
    _walk_all(walks, None, progress)
    return _report([walk.finish() for walk in walks])


def verify_segment(
    chain: str, start: tuple[int, str], through: int, *, progress: Progress | None = None
) -> tuple[ChainReport, str]:
    """Verify `chain` from a trusted (seq, hash) up to seq `through`: (report, hash at the
    last verified seq). Signing and archiving use it."""
    walk = _ChainWalk(chain, False, start=start)
    _walk_all([walk], through, progress)
    report = walk.report
    if report.valid and report.last_seq < through:
        report.broken(report.last_seq + 1, "missing events (seq gap or truncated)")
    return report, walk.prev


def _report(chain_reports: list[ChainReport]) -> Report:
    broken = next((c for c in chain_reports if not c.valid), None)
    checkpoints = [c.checkpoint for c in chain_reports if c.checkpoint]
    ages = [c.seconds_since_checkpoint for c in chain_reports if c.unsigned_events]
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
        unsigned_events=sum(c.unsigned_events for c in chain_reports),
        seconds_since_checkpoint=max((a for a in ages if a is not None), default=None),
    )
