"""This process's turn on each chain: one writer at a time goes to the database, and the
appends that are their own transaction go together.

The database decides every append (`audit_append` compares the row with the locked head and
refuses it otherwise); this module only keeps a process's threads from queueing on the chain
lock INSIDE PostgreSQL, where each waiter costs the lock manager, wakes on every commit, and
finds the head moved under it (so it rebuilds its row while holding the lock, with everyone
else waiting behind it). Per (database, chain) it keeps:

* `tail`: where this process expects the next event (after the last one it stored), so the
  first attempt is right whenever no other process appended in between;
* `mutex`, the turn: a writer holds it from building its row until the append statement
  returns. Inside a transaction that is before the commit: the next writer builds on the
  stored row and waits in PostgreSQL for the commit alone, then is inserted at once, without
  a rebuild or a round trip under the lock. A writer that already holds the chain lock in its
  transaction does not wait for the turn (`held`); one that waits longer than `TURN_WAIT`
  (a lock cycle through another chain) goes to the database without it, where PostgreSQL's
  deadlock detector sees the whole cycle;
* `queue`, group commit for the appends that are their own transaction (a read's disclosure,
  a page's, a refused attempt): while one of them is with the database, the others queue; the
  next leader appends everything queued as ONE statement (`audit_append_many`: one lock, one
  head update, one durable commit) and each caller returns once its own events are stored.
  Durability is the same as one commit each: nobody returns before the commit holding its
  events, and an error fails every caller of that batch.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

TURN_WAIT = 2.0  # seconds; PostgreSQL's deadlock_timeout is 1 s
BATCH_MAX = 500  # events per group-committed statement

Rows = list[dict[str, Any]]
Result = tuple[Rows, list[int]]


@dataclass(eq=False)
class _Waiter:
    run: Rows
    done: threading.Event = field(default_factory=threading.Event)
    lead: bool = False
    result: Result | None = None
    error: BaseException | None = None


@dataclass(eq=False)
class Chain:
    name: str
    tail: tuple[int, str] | None = None
    contended: bool = False  # another process appends here: lock before building
    mutex: threading.Lock = field(default_factory=threading.Lock)
    guard: threading.Lock = field(default_factory=threading.Lock)
    queue: list[_Waiter] = field(default_factory=list)
    leading: bool = False

    def marker(self) -> None:
        """An `on_commit` entry that says "this transaction holds the chain lock"."""


_chains: dict[tuple[str, ...], Chain] = {}


def chain(conn: Any, name: str) -> Chain:
    """The state of chain `name` in the database `conn` points at (every alias naming the
    same database shares it: they share its chain locks)."""
    s = conn.settings_dict
    key = (str(s.get("HOST", "")), str(s.get("PORT", "")), str(s["NAME"]), name)
    found = _chains.get(key)
    return found if found is not None else _chains.setdefault(key, Chain(name=name))


@contextmanager
def turn(state: Chain) -> Iterator[None]:
    got = state.mutex.acquire(timeout=TURN_WAIT)
    try:
        yield
    finally:
        if got:
            state.mutex.release()


def held(conn: Any, state: Chain) -> bool:
    """This connection's open transaction already appended to the chain (so it holds the lock).
    Read from Django's pending `on_commit` list, which a rollback (or the rollback of the
    savepoint the append was in) empties as PostgreSQL releases the lock."""
    return any(entry[1] == state.marker for entry in conn.run_on_commit)


def hold(conn: Any, state: Chain) -> None:
    if conn.in_atomic_block and not held(conn, state):
        conn.on_commit(state.marker)


def batched(state: Chain, run: Rows, append: Callable[[Rows], Result]) -> Result:
    """Append `run` (its own transaction) with whatever else is queued on the chain:
    `append(records)` is called by one leader at a time, holding the turn."""
    me = _Waiter(run)
    with state.guard:
        state.queue.append(me)
        lead = not state.leading
        state.leading = True
    if not lead:
        me.done.wait()
        if not me.lead:
            if me.error is not None:
                raise me.error
            assert me.result is not None
            return me.result
    try:
        batch = _take(state)  # `me` is first: the queue's head leads
        try:
            with turn(state):
                rows, ids = append([r for w in batch for r in w.run])
        except BaseException as exc:
            for w in batch[1:]:
                w.error = exc
                w.done.set()
            raise
        start = 0
        for w in batch:
            end = start + len(w.run)
            w.result = (rows[start:end], ids[start:end])
            start = end
            if w is not me:
                w.done.set()
        assert me.result is not None
        return me.result
    finally:
        with state.guard:
            if state.queue:  # hand the lead to the next in line
                state.queue[0].lead = True
                state.queue[0].done.set()
            else:
                state.leading = False


def _take(state: Chain) -> list[_Waiter]:
    with state.guard:
        batch = [state.queue.pop(0)]
        size = len(batch[0].run)
        while state.queue and size + len(state.queue[0].run) <= BATCH_MAX:
            size += len(state.queue[0].run)
            batch.append(state.queue.pop(0))
    return batch
