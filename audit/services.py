"""Writing audit events. Every state-changing service calls `audit_record` itself."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connections, models, transaction
from django.utils import timezone

from audit import append_many_sql, append_sql, mac
from audit.canonical import GENESIS_HASH, canonical_bytes, chain_hash
from audit.models import AuditEvent, ChainHead, Outcome
from audit.owner import Owned, owned
from audit.pseudonym import subject_ref
from core import context
from core.actor import Actor

logger = logging.getLogger(__name__)

Target = models.Model | tuple[str, Any] | None


def _object_ref(target: Target) -> tuple[str, str]:
    if target is None:
        return "", ""
    if isinstance(target, tuple):
        return target[0], str(target[1])
    return target._meta.label_lower, str(target.pk)


def _str(value: uuid.UUID | None) -> str | None:
    return str(value) if value else None


def _clip(value: str, limit: int) -> str:
    return (value or "")[:limit]


def _build(
    *,
    actor: Actor,
    action: str,
    target: Target,
    target_agency_id: uuid.UUID | None,
    outcome: str,
    reason: str,
    purpose: str,
    consent_id: uuid.UUID | None,
    categories: Iterable[str],
    own: Owned,
) -> dict[str, Any]:
    ctx = context.current()
    object_type, object_id = _object_ref(target)
    return {
        "event_id": str(uuid.uuid4()),
        "chain": actor.chain,
        "occurred_at": timezone.now().isoformat(timespec="microseconds"),
        "actor_kind": actor.kind,
        "actor_id": str(actor.id or actor.username or ""),
        "actor_agency_id": str(actor.agency_id) if actor.agency_id else None,
        "actor_role": actor.role or "",
        "auth_method": actor.auth_method,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "subject_ref": subject_ref(own.subject_id, agency_id=own.subject_agency_id),
        "target_agency_id": str(target_agency_id) if target_agency_id else None,
        "subject_agency_id": _str(own.subject_agency_id),
        "shared_agency_id": _str(own.shared_agency_id),
        "purpose": purpose or "",
        "consent_id": str(consent_id) if consent_id else None,
        "categories": sorted(set(categories)),
        "outcome": outcome,
        "reason": _clip(reason, 64),
        "request_id": _clip(ctx.request_id, 64),
        "route": _clip(ctx.route, 200),
        "ip": _clip(ctx.ip, 64),
        "user_agent": _clip(ctx.user_agent, 200),
    }


_ADVANCE = "UPDATE audit_chainhead SET seq = seq + 1 WHERE chain = %s RETURNING seq, hash"


def _advance_head(using: str, chain: str) -> tuple[int, str]:
    """Lock the chain head (row lock until commit) and reserve the next seq: one statement."""
    with connections[using].cursor() as cursor:
        cursor.execute(_ADVANCE, [chain])
        row = cursor.fetchone()
        if row is None:
            ChainHead.objects.using(using).bulk_create(
                [ChainHead(chain=chain, seq=0, hash=GENESIS_HASH)], ignore_conflicts=True
            )
            cursor.execute(_ADVANCE, [chain])
            row = cursor.fetchone()
    return int(row[0]), str(row[1])


def _materialize(
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


def _event(row: dict[str, Any], *, using: str, pk: int | None = None) -> AuditEvent:
    fields = {k: v for k, v in row.items() if k != "occurred_at"}
    event = AuditEvent(**fields, occurred_at=datetime.fromisoformat(row["occurred_at"]))
    if pk is not None:
        event.id = pk
        event._state.adding, event._state.db = False, using
    return event


def _append_pg(record: dict[str, Any], *, using: str) -> AuditEvent:
    """PostgreSQL: compare-and-append against the head this connection expects (one round
    trip when it is right; a second, under the lock the first one took, when it is not)."""
    conn = connections[using]
    heads: dict[str, tuple[int, str]] = conn.__dict__.setdefault("_audit_heads", {})
    chain = record["chain"]
    seq, prev_hash = heads.get(chain, (0, GENESIS_HASH))
    sql = append_sql.call_sql()
    with conn.cursor() as cursor:
        for _attempt in range(3):
            row = _materialize(record, seq + 1, prev_hash)
            cursor.execute(sql, _values(row))
            event_pk, head_seq, head_hash = cursor.fetchone()
            heads[chain] = (int(head_seq), str(head_hash))
            if event_pk is not None:
                return _event(row, using=using, pk=event_pk)
            seq, prev_hash = int(head_seq), str(head_hash)
    raise RuntimeError("audit_append: the chain head kept moving while locked")


_LOCK_HEAD = "BEGIN; SELECT seq, hash FROM audit_chainhead WHERE chain = %s FOR UPDATE"
_STORED = (
    "SELECT id, seq, hash FROM audit_auditevent WHERE chain = %s AND seq BETWEEN %s AND %s "
    "ORDER BY seq"
)
Build = Callable[[int, str], list[dict[str, Any]]]


def _append_pg_own(record: dict[str, Any], *, using: str) -> AuditEvent:
    """PostgreSQL, outside any transaction: one event as its own transaction (`_own_run`)."""
    rows, ids = _own_run(
        record["chain"],
        lambda seq, prev: [_materialize(record, seq + 1, prev)],
        append_sql.call_sql(),
        lambda rows: _values(rows[0]),
        using=using,
    )
    return _event(rows[0], using=using, pk=ids[0])


def _own_run(
    chain: str,
    build: Build,
    sql: str,
    params: Callable[[list[dict[str, Any]]], list[Any]],
    *,
    using: str,
) -> tuple[list[dict[str, Any]], list[int]]:
    """PostgreSQL, outside any transaction (a read's disclosure, a list page's, a refused
    attempt): the append of `build(seq, prev_hash)`'s rows is its own transaction, so it costs
    one statement when the cached head is right (autocommit: no BEGIN/COMMIT round trips).

    When another writer moved the head, the chain is locked and the rows appended and committed
    in two round trips: `BEGIN; SELECT head FOR UPDATE`, then the rows built for that head,
    sent with their `COMMIT` in the same round trip. The lock is held from the first to the
    commit, with no round trip in between but the one that builds the rows, so writers queued on
    one chain wait for less. The rows' ids are read afterwards, which also proves they landed.
    A connection that found its head stale locks first on its next append to that chain (one
    pass through the lock queue, not two), until it finds nobody else appended in between.
    """
    conn = connections[using]
    heads: dict[str, tuple[int, str]] = conn.__dict__.setdefault("_audit_heads", {})
    contended: set[str] = conn.__dict__.setdefault("_audit_contended", set())
    cached = heads.get(chain, (0, GENESIS_HASH))
    with conn.cursor() as cursor:
        if chain not in contended:  # optimistic: one statement, no lock held across a trip
            rows = build(*cached)
            cursor.execute(sql, params(rows))
            stored_ids, head_seq, head_hash = cursor.fetchone()
            if stored_ids is not None:
                heads[chain] = (int(head_seq), str(head_hash))
                ids = stored_ids if isinstance(stored_ids, list) else [stored_ids]
                return rows, [int(i) for i in ids]
            contended.add(chain)  # another writer moved the head: lock first from now on
        heads.pop(chain, None)
        try:
            cursor.execute(_LOCK_HEAD, [chain])
            head_seq, head_hash = cursor.fetchone()
            rows = build(int(head_seq), str(head_hash))
            cursor.execute(f"{sql}; COMMIT", params(rows))
        except BaseException:
            _roll_back(conn, cursor)
            raise
        cursor.execute(_STORED, [chain, rows[0]["seq"], rows[-1]["seq"]])
        stored = cursor.fetchall()
    if [(s, h) for _, s, h in stored] != [(r["seq"], r["hash"]) for r in rows]:
        # the head moved under the lock: cannot happen; never serve without the events
        raise RuntimeError("audit append: the events were not stored under the chain lock")
    if (int(head_seq), str(head_hash)) == cached:
        contended.discard(chain)  # nobody else appended since our last event: optimistic again
    heads[chain] = (rows[-1]["seq"], rows[-1]["hash"])
    return rows, [int(i) for i, _, _ in stored]


def _values(row: dict[str, Any]) -> list[Any]:
    values = [row[c] for c in append_sql.column_names()]
    values[append_sql.column_names().index("categories")] = json.dumps(row["categories"])
    return values


def _roll_back(conn: Any, cursor: Any) -> None:
    """End the explicit transaction the locked path opened (the connection autocommits). If
    even that fails, close the connection: it must never carry an open transaction into the
    next request."""
    try:
        cursor.execute("ROLLBACK")
    except Exception:
        logger.warning("audit append: rollback after a failed locked append failed; closing")
        conn.close()


def _append(record: dict[str, Any], *, using: str) -> AuditEvent:
    """Take the chain lock, link the record, insert it and move the head; held until commit."""
    record = {k: mac.clean(v) for k, v in record.items()}
    conn = connections[using]
    if conn.vendor == "postgresql":
        if conn.get_autocommit() and not conn.in_atomic_block:
            return _append_pg_own(record, using=using)
        with transaction.atomic(using=using, savepoint=False):
            return _append_pg(record, using=using)
    chain = record["chain"]
    with transaction.atomic(using=using, savepoint=False):
        seq, prev_hash = _advance_head(using, chain)
        row = _materialize(record, seq, prev_hash)
        event = _event(row, using=using)
        event.save(using=using, force_insert=True)
        ChainHead.objects.using(using).filter(chain=chain).update(hash=row["hash"])
    return event


PLATFORM_CHAIN = "platform"
INDEPENDENT = "independent"  # `using=INDEPENDENT`: the event survives the caller's rollback


def audit_record(
    *,
    actor: Actor,
    action: str,
    target: Target = None,
    subject_id: uuid.UUID | str | None = None,
    target_agency_id: uuid.UUID | None = None,
    outcome: str = Outcome.ALLOW,
    reason: str = "",
    purpose: str = "",
    consent_id: uuid.UUID | None = None,
    categories: Iterable[str] = (),
    subject_agency_id: uuid.UUID | None = None,
    shared_agency_id: uuid.UUID | None = None,
    using: str = "default",
) -> AuditEvent:
    """Append an event. Call it last, so the chain lock is brief.

    `using="default"` writes in the caller's transaction (the change and its event commit
    together). `using=INDEPENDENT` records a denied or failed attempt so that it survives the
    request's rollback: outside any transaction the default connection autocommits; inside one,
    the event goes through the separate `audit` connection and commits on its own.

    The owner of the data (`subject_agency_id`) and the recipient sharing it
    (`shared_agency_id`) are derived from `target`/`subject_id` (audit/owner.py); pass them only
    where the target cannot say.
    """
    alias = independent_alias() if using == INDEPENDENT else using
    records = _records(
        using=alias,
        actor=actor,
        action=action,
        target=target,
        subject_id=subject_id,
        target_agency_id=target_agency_id,
        outcome=outcome,
        reason=reason,
        purpose=purpose,
        consent_id=consent_id,
        categories=categories,
        subject_agency_id=subject_agency_id,
        shared_agency_id=shared_agency_id,
    )
    event = _append(records[0], using=alias)
    for copy in records[1:]:  # a refused probe of another agency's data: its owner's copy
        _append(copy, using=alias)
    return event


def _records(
    *,
    using: str,
    actor: Actor,
    action: str,
    target: Target = None,
    subject_id: uuid.UUID | str | None = None,
    target_agency_id: uuid.UUID | None = None,
    outcome: str = Outcome.ALLOW,
    reason: str = "",
    purpose: str = "",
    consent_id: uuid.UUID | None = None,
    categories: Iterable[str] = (),
    subject_agency_id: uuid.UUID | None = None,
    shared_agency_id: uuid.UUID | None = None,
) -> list[dict[str, Any]]:
    """The record(s) one `audit_record` call appends: the event, then its owner's copy if any."""
    own = owned(
        actor=actor,
        target=target,
        subject_id=subject_id,
        subject_agency_id=subject_agency_id,
        shared_agency_id=shared_agency_id,
        target_agency_id=target_agency_id,
        outcome=outcome,
        using=using,
    )
    fields: dict[str, Any] = {
        "actor": actor,
        "action": action,
        "target": target,
        "target_agency_id": target_agency_id,
        "outcome": outcome,
        "reason": reason,
        "purpose": purpose,
        "consent_id": consent_id,
        "categories": list(categories),
    }
    records = [_build(**fields, own=own)]
    if own.owner_copy is not None:
        records.append({**_build(**fields, own=own.owner_copy), "chain": PLATFORM_CHAIN})
    return records


def audit_record_many(*, events: Sequence[Mapping[str, Any]], using: str = "default") -> list[int]:
    """`audit_record(**e)` for each of `events`, in order, with the same events, fields and
    chain order, in one transaction; on PostgreSQL each run of events on one chain is ONE
    round trip (`audit_append_many`), e.g. a page of `disclosure` events.

    Each mapping holds `audit_record`'s keywords (`actor`, `action`, `target`, ...), except
    `using`: the batch is written in the caller's transaction (`using="default"`), so the read
    it records is not served if it fails. Returns the stored events' ids, in order (no model
    instances: a page's worth of them was a fifth of the batch's CPU).
    """
    records = [rec for e in events for rec in _records(using=using, **e)]
    runs = _runs([{k: mac.clean(v) for k, v in r.items()} for r in records])
    conn = connections[using]
    if conn.vendor == "postgresql" and conn.get_autocommit() and not conn.in_atomic_block:
        # no transaction open (a list read): each run is its own transaction, one statement
        # when the head is right; the page is served only after every run is stored
        return [pk for run in runs for pk in _append_run(run, using=using)]
    out: list[int] = []
    with transaction.atomic(using=using, savepoint=False):
        for run in runs:
            out.extend(_append_run(run, using=using))
    return out


def _runs(records: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Consecutive records on the same chain, in order."""
    runs: list[list[dict[str, Any]]] = []
    for record in records:
        if runs and runs[-1][0]["chain"] == record["chain"]:
            runs[-1].append(record)
        else:
            runs.append([record])
    return runs


def _append_run(run: list[dict[str, Any]], *, using: str) -> list[int]:
    if connections[using].vendor == "postgresql" and len(run) > 1:
        return _append_many_pg(run, using=using)
    return [_append(record, using=using).id for record in run]


def _linked(run: list[dict[str, Any]], seq: int, prev_hash: str) -> list[dict[str, Any]]:
    """The rows of `run` at positions seq + 1, seq + 2, ..., each linked to the one before."""
    rows, bound = [], mac.bound_fields()
    for record in run:
        seq += 1
        row = _materialize(record, seq, prev_hash, bound)
        rows.append(row)
        prev_hash = row["hash"]
    return rows


def _many_params(rows: list[dict[str, Any]]) -> list[Any]:
    names = append_sql.column_names()
    arrays = [[row[c] for row in rows] for c in names]
    arrays[names.index("categories")] = [json.dumps(row["categories"]) for row in rows]
    return arrays


def _append_many_pg(run: list[dict[str, Any]], *, using: str) -> list[int]:
    """PostgreSQL: compare-and-append a run of one chain's events from the head this
    connection expects (one round trip; a second, under the lock, after a stale head)."""
    conn = connections[using]
    if conn.get_autocommit() and not conn.in_atomic_block:
        build: Build = lambda seq, prev: _linked(run, seq, prev)  # noqa: E731
        _rows, ids = _own_run(
            run[0]["chain"], build, append_many_sql.call_sql(), _many_params, using=using
        )
        return ids
    heads: dict[str, tuple[int, str]] = conn.__dict__.setdefault("_audit_heads", {})
    chain = run[0]["chain"]
    seq, prev_hash = heads.get(chain, (0, GENESIS_HASH))
    sql = append_many_sql.call_sql()
    with conn.cursor() as cursor:
        for _attempt in range(3):
            rows = _linked(run, seq, prev_hash)
            cursor.execute(sql, _many_params(rows))
            event_pks, head_seq, head_hash = cursor.fetchone()
            heads[chain] = (int(head_seq), str(head_hash))
            if event_pks is not None:
                return [int(pk) for pk in event_pks]
            seq, prev_hash = int(head_seq), str(head_hash)
    raise RuntimeError("audit_append_many: the chain head kept moving while locked")


def independent_alias() -> str:
    """The connection for events that must survive the current transaction's rollback."""
    if connections["default"].in_atomic_block:
        return str(settings.AUDIT_INDEPENDENT_ALIAS)
    return "default"
