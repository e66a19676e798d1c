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

from audit import append_many_sql, append_sql, turns
from audit import rows as rowlib
from audit.canonical import GENESIS_HASH
from audit.models import AuditEvent

logger = logging.getLogger(__name__)


_LOCK_HEAD = "BEGIN; SELECT seq, hash FROM audit_chainhead WHERE chain = %s FOR UPDATE"
_STORED = (
    "SELECT id, seq, hash FROM audit_auditevent WHERE chain = %s AND seq BETWEEN %s AND %s "
    "ORDER BY seq"
)
Rows = list[dict[str, Any]]


def append(record: dict[str, Any], *, using: str) -> AuditEvent:
    """One event (`audit_append`)."""
    rows, ids = _run([record], using=using)
    return rowlib.event(rows[0], using=using, pk=ids[0])


def append_many(run: Rows, *, using: str) -> list[int]:
    """A run of one chain's events, each linked to the one before (`audit_append_many`)."""
    return _run(run, using=using)[1]


def own_transaction(conn: Any) -> bool:
    """No transaction is open on `conn`: an append there is its own (`_own_run`)."""
    return bool(conn.get_autocommit()) and not conn.in_atomic_block


def _run(run: Rows, *, using: str) -> tuple[Rows, list[int]]:
    conn = connections[using]
    state = turns.chain(conn, run[0]["chain"])
    if own_transaction(conn):
        return turns.batched(state, run, lambda records: _own_run(conn, state, records))
    if turns.held(conn, state):  # this transaction holds the chain lock: no turn to wait for
        return _in_transaction(conn, state, run)
    with turns.turn(state):
        result = _in_transaction(conn, state, run)
    turns.hold(conn, state)
    return result


def _statement(run: Rows) -> tuple[str, Callable[[Rows], list[Any]]]:
    if len(run) == 1:
        return append_sql.call_sql(), lambda rows: _values(rows[0])
    return append_many_sql.call_sql(), _many_params


def _in_transaction(conn: Any, state: turns.Chain, run: Rows) -> tuple[Rows, list[int]]:
    """Inside the caller's transaction: compare-and-append against the tail this process
    expects (one round trip when it is right; a second, under the lock the first one took,
    when it is not). The lock is held until the caller commits."""
    sql, params = _statement(run)
    seq, prev_hash = state.tail or (0, GENESIS_HASH)
    with conn.cursor() as cursor:
        for _attempt in range(3):
            rows = rowlib.linked(run, seq, prev_hash)
            cursor.execute(sql, params(rows))
            stored_ids, head_seq, head_hash = cursor.fetchone()
            if stored_ids is not None:
                state.tail = (rows[-1]["seq"], rows[-1]["hash"])
                return rows, _ids(stored_ids)
            seq, prev_hash = int(head_seq), str(head_hash)
    raise RuntimeError("audit append: the chain head kept moving while locked")


def _ids(stored: Any) -> list[int]:
    """`out_id` of `audit_append` (one) or `out_ids` of `audit_append_many` (an array)."""
    return [int(i) for i in (stored if isinstance(stored, list) else [stored])]


def _own_run(conn: Any, state: turns.Chain, run: Rows) -> tuple[Rows, list[int]]:
    """PostgreSQL, outside any transaction (a read's disclosure, a list page's, a refused
    attempt; several callers' events together, audit/turns.py): the append is its own
    transaction, so it costs one statement when the expected tail is right (autocommit: no
    BEGIN/COMMIT round trips).

    When another process moved the head, the chain is locked and the rows appended and
    committed in two round trips: `BEGIN; SELECT head FOR UPDATE`, then the rows built for
    that head, sent with their `COMMIT` in the same round trip. The rows' ids are read
    afterwards, which also proves they landed. After a wrong guess the chain is locked first
    (one pass through the lock queue, not two), until the head is found where this process
    left it.
    """
    sql, params = _statement(run)
    chain = state.name
    with conn.cursor() as cursor:
        if not state.contended:  # optimistic: one statement, no lock held across a trip
            rows = rowlib.linked(run, *(state.tail or (0, GENESIS_HASH)))
            cursor.execute(sql, params(rows))
            stored_ids, _seq, _hash = cursor.fetchone()
            if stored_ids is not None:
                state.tail = (rows[-1]["seq"], rows[-1]["hash"])
                return rows, _ids(stored_ids)
            state.contended = True  # another process moved the head: lock first from now on
        expected = state.tail
        try:
            cursor.execute(_LOCK_HEAD, [chain])
            # no head row yet (a new chain, or emptied tables): `audit_append` creates it
            head_seq, head_hash = cursor.fetchone() or (0, GENESIS_HASH)
            rows = rowlib.linked(run, int(head_seq), str(head_hash))
            cursor.execute(f"{sql}; COMMIT", params(rows))
        except BaseException:
            _roll_back(conn, cursor)
            raise
        cursor.execute(_STORED, [chain, rows[0]["seq"], rows[-1]["seq"]])
        stored = cursor.fetchall()
    if [(s, h) for _, s, h in stored] != [(r["seq"], r["hash"]) for r in rows]:
        # the head moved under the lock: cannot happen; never serve without the events
        raise RuntimeError("audit append: the events were not stored under the chain lock")
    if (int(head_seq), str(head_hash)) == expected:
        state.contended = False  # nobody else appended since our last event: optimistic again
    state.tail = (rows[-1]["seq"], rows[-1]["hash"])
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
