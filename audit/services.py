"""Writing audit events. Every state-changing service calls `audit_record` itself."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.db import connections, models, transaction
from django.utils import timezone

from audit import append_pg, mac, rows
from audit.canonical import GENESIS_HASH
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


def _append(record: dict[str, Any], *, using: str) -> AuditEvent:
    """Take the chain lock, link the record, insert it and move the head; held until commit."""
    record = {k: mac.clean(v) for k, v in record.items()}
    conn = connections[using]
    if conn.vendor == "postgresql":
        if append_pg.own_transaction(conn):  # its own transaction: no BEGIN/COMMIT around it
            return append_pg.append(record, using=using)
        with transaction.atomic(using=using, savepoint=False):
            return append_pg.append(record, using=using)
    chain = record["chain"]
    with transaction.atomic(using=using, savepoint=False):
        seq, prev_hash = _advance_head(using, chain)
        row = rows.materialize(record, seq, prev_hash)
        event = rows.event(row, using=using)
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
    chain order, in the caller's transaction (or, with none open on PostgreSQL, each run of
    one chain in its own); on PostgreSQL each run of events on one chain is ONE
    round trip (`audit_append_many`), e.g. a page of `disclosure` events.

    Each mapping holds `audit_record`'s keywords (`actor`, `action`, `target`, ...), except
    `using`: the batch is written in the caller's transaction (`using="default"`), so the read
    it records is not served if it fails. Returns the stored events' ids, in order (no model
    instances: a page's worth of them was a fifth of the batch's CPU).
    """
    records = [rec for e in events for rec in _records(using=using, **e)]
    runs = _runs([{k: mac.clean(v) for k, v in r.items()} for r in records])
    conn = connections[using]
    if conn.vendor == "postgresql" and append_pg.own_transaction(conn):
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
        return append_pg.append_many(run, using=using)
    return [_append(record, using=using).id for record in run]


def independent_alias() -> str:
    """The connection for events that must survive the current transaction's rollback."""
    if connections["default"].in_atomic_block:
        return str(settings.AUDIT_INDEPENDENT_ALIAS)
    return "default"
