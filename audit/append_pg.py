"""PostgreSQL: the compare-and-append protocol around `audit_append` / `audit_append_many`.

Inside the caller's transaction (a change and its events) the function locks the chain head,
held until that transaction commits. Outside any transaction (a read's disclosure, a list
page's, a refused attempt) the append is its own transaction: `_own_run`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from django.db import connections

from audit import append_many_sql, append_sql
from audit import rows as rowlib
from audit.canonical import GENESIS_HASH
from audit.models import AuditEvent

logger = logging.getLogger(__name__)


_LOCK_HEAD = "BEGIN; SELECT seq, hash FROM audit_chainhead WHERE chain = %s FOR UPDATE"
_STORED = (
    "SELECT id, seq, hash FROM audit_auditevent WHERE chain = %s AND seq BETWEEN %s AND %s "
    "ORDER BY seq"
)
Build = Callable[[int, str], list[dict[str, Any]]]


Params = Callable[[list[dict[str, Any]]], list[Any]]


def append(record: dict[str, Any], *, using: str) -> AuditEvent:
    """One event (`audit_append`)."""
    rows, ids = _run(
        record["chain"],
        lambda seq, prev: [rowlib.materialize(record, seq + 1, prev)],
        append_sql.call_sql(),
        lambda rows: _values(rows[0]),
        using=using,
    )
    return rowlib.event(rows[0], using=using, pk=ids[0])


def append_many(run: list[dict[str, Any]], *, using: str) -> list[int]:
    """A run of one chain's events, each linked to the one before (`audit_append_many`)."""
    _rows, ids = _run(
        run[0]["chain"],
        lambda seq, prev: rowlib.linked(run, seq, prev),
        append_many_sql.call_sql(),
        _many_params,
        using=using,
    )
    return ids


def own_transaction(conn: Any) -> bool:
    """No transaction is open on `conn`: an append there is its own (`_own_run`)."""
    return bool(conn.get_autocommit()) and not conn.in_atomic_block


def _run(
    chain: str, build: Build, sql: str, params: Params, *, using: str
) -> tuple[list[dict[str, Any]], list[int]]:
    conn = connections[using]
    if own_transaction(conn):
        return _own_run(chain, build, sql, params, using=using)
    return _in_transaction(chain, build, sql, params, using=using)


def _in_transaction(
    chain: str, build: Build, sql: str, params: Params, *, using: str
) -> tuple[list[dict[str, Any]], list[int]]:
    """Inside the caller's transaction: compare-and-append against the head this connection
    expects (one round trip when it is right; a second, under the lock the first one took,
    when it is not). The lock is held until the caller commits."""
    heads: dict[str, tuple[int, str]] = connections[using].__dict__.setdefault("_audit_heads", {})
    seq, prev_hash = heads.get(chain, (0, GENESIS_HASH))
    with connections[using].cursor() as cursor:
        for _attempt in range(3):
            rows = build(seq, prev_hash)
            cursor.execute(sql, params(rows))
            stored_ids, head_seq, head_hash = cursor.fetchone()
            heads[chain] = (int(head_seq), str(head_hash))
            if stored_ids is not None:
                return rows, _ids(stored_ids)
            seq, prev_hash = int(head_seq), str(head_hash)
    raise RuntimeError("audit append: the chain head kept moving while locked")


def _ids(stored: Any) -> list[int]:
    """`out_id` of `audit_append` (one) or `out_ids` of `audit_append_many` (an array)."""
    return [int(i) for i in (stored if isinstance(stored, list) else [stored])]


def _own_run(
    chain: str,
    build: Build,
    sql: str,
    params: Params,
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
                return rows, _ids(stored_ids)
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


def _many_params(rows: list[dict[str, Any]]) -> list[Any]:
    names = append_sql.column_names()
    arrays = [[row[c] for row in rows] for c in names]
    arrays[names.index("categories")] = [json.dumps(row["categories"]) for row in rows]
    return arrays
