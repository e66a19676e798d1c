"""The rows verification walks: for each segment (chain, after seq, through seq), its rows in seq
order as `(seq, canonical bytes, sealed)`, where `sealed` is the hex text of the stored MAC
followed by the hex of the column digest `SHA-256(columns)` (audit/mac.py) of that row as stored
now. Memory stays flat: at most AHEAD pages of PAGE rows are held.

On PostgreSQL the database computes every row's column digest as it reads the row (nothing is
stored ahead or trusted from an earlier write) and that is most of the work, so the pages are
fetched by threads while the caller checks the pages before them, in order:

* outside a transaction, on WORKERS connections of their own when the segments hold at least
  PARALLEL_ROWS rows (the digests computed by several server processes at once; every row
  they see is committed, as it would be on the caller's connection);
* inside one (or for less), on the caller's own connection: its transaction, its role.

Each page is a range of seq values over the unique (chain, seq) index (a missing row is a gap
the walk reports), then a keyset page after the highest seq seen at the start picks up rows
appended since. Text columns arrive as bytes (no decode, no re-encode). Elsewhere the columns are
fetched through the ORM and digested here, one page at a time.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any

from django.db import connection, connections

from audit import mac
from audit.models import AuditEvent

PAGE = 2000  # rows per statement
AHEAD = 4  # pages fetched and not yet checked, at most
WORKERS = 2  # connections of its own for a large verification outside a transaction
PARALLEL_ROWS = 20_000  # below this, the caller's connection (no connection set-up)
Segment = tuple[str, int, int | None]  # (chain, after seq, through seq or None)
Row = tuple[int, bytes, bytes]
# Functions and operators named by their schema (audit/shadowing.py).
_SELECT = (
    "SELECT seq, pg_catalog.convert_from(canonical, 'UTF8'), mac OPERATOR(pg_catalog.||) "
    "{digest} FROM audit_auditevent WHERE chain OPERATOR(pg_catalog.=) %s "
    "AND seq OPERATOR(pg_catalog.>) %s AND seq OPERATOR(pg_catalog.<=) %s ORDER BY seq "
    "LIMIT {page}"
)
_DONE = object()


def _plan_sql() -> str:
    return "SELECT pg_catalog.max(seq) FROM audit_auditevent WHERE chain OPERATOR(pg_catalog.=) %s"


def _sql(page: int) -> str:
    return _SELECT.format(digest=mac.column_sql(mac.bound_fields()), page=int(page))


class _Task:
    """One range page, or (tail=True) the keyset pages after the planned ranges."""

    def __init__(self, index: int, low: int, high: int, tail: bool) -> None:
        self.index, self.low, self.high, self.tail = index, low, high, tail
        self.pages: queue.Queue[Any] = queue.Queue()


class Stream:
    """Pages of each segment in order: iterate `(segment index, rows)`; `skip(index)` stops the
    fetching of that segment (its walk is broken). Use as a context manager."""

    def __init__(self, segments: list[Segment]) -> None:
        self.segments = segments
        self.skipped: set[int] = set()
        self._stop = threading.Event()
        self._slots = threading.Semaphore(AHEAD)
        self._lock = threading.Lock()
        self._tasks: list[_Task] = []
        self._next = 0
        self._threads: list[threading.Thread] = []
        self._own: list[Any] = []
        self._error: BaseException | None = None

    def __enter__(self) -> Stream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def skip(self, index: int) -> None:
        self.skipped.add(index)

    def __iter__(self) -> Iterator[tuple[int, list[Row]]]:
        if connection.vendor != "postgresql":
            for index, segment in enumerate(self.segments):
                for rows in _pages_python(*segment):
                    yield index, rows
                    if index in self.skipped:
                        break
            return
        planned = self._plan()
        for raw in self._connections(planned):
            thread = threading.Thread(target=self._fetch, args=(raw,), name="audit-verify-fetch")
            thread.daemon = True
            self._threads.append(thread)
            thread.start()
        for task in self._tasks:
            while (page := self._page(task)) is not _DONE:
                if task.index not in self.skipped:
                    yield task.index, page
            self._slots.release()

    def _page(self, task: _Task) -> Any:
        while True:
            try:
                return task.pages.get(timeout=0.05)
            except queue.Empty:
                if self._error is not None:
                    with connection.wrap_database_errors:
                        raise self._error from None
                if not any(thread.is_alive() for thread in self._threads) and task.pages.empty():
                    raise RuntimeError("audit verification: fetching stopped early") from None

    def _plan(self) -> int:
        """Range pages up to each chain's highest seq now, then its tail; the rows planned."""
        planned = 0
        with connection.cursor() as cursor:
            for index, (chain, after, through) in enumerate(self.segments):
                cursor.execute(_plan_sql(), [chain])
                top = cursor.fetchone()[0] or 0
                upper = max(after, top if through is None else min(top, through))
                for low in range(after, upper, PAGE):
                    self._tasks.append(_Task(index, low, min(low + PAGE, upper), False))
                self._tasks.append(
                    _Task(index, upper, 2**63 - 1 if through is None else through, True)
                )
                planned += upper - after
        return planned

    def _connections(self, planned: int) -> list[Any]:
        if connection.in_atomic_block or planned < PARALLEL_ROWS:
            return [connection.connection]
        for _ in range(WORKERS):
            own = connections.create_connection(connection.alias)  # same settings, role, ...
            own.ensure_connection()
            self._own.append(own)
        return [own.connection for own in self._own]

    def close(self) -> None:
        """Stop the fetching threads, wait for them (a statement under way finishes first) and
        close the connections opened for them."""
        self._stop.set()
        for _ in range(len(self._threads) + AHEAD):
            self._slots.release()
        for thread in self._threads:
            thread.join()
        for own in self._own:
            own.close()
        self._own.clear()

    def _take(self) -> _Task | None:
        self._slots.acquire()
        with self._lock:
            if self._stop.is_set() or self._next >= len(self._tasks):
                return None
            self._next += 1
            return self._tasks[self._next - 1]

    def _fetch(self, raw: Any) -> None:
        """A fetching thread: psycopg2 connections are thread-safe (one statement at a time,
        serialised by the connection's lock); it never touches Django's wrapper."""
        import psycopg2.extensions

        try:
            page, sql = PAGE, _sql(PAGE)
            with raw.cursor() as cursor:
                psycopg2.extensions.register_type(psycopg2.extensions.BYTES, cursor)
                while (task := self._take()) is not None:
                    chain, low = self.segments[task.index][0], task.low
                    while not self._stop.is_set() and task.index not in self.skipped:
                        cursor.execute(sql, [chain, low, task.high])
                        rows = cursor.fetchall()
                        if rows:
                            task.pages.put(rows)
                        if not task.tail or len(rows) < page:
                            break
                        low = rows[-1][0]
                    task.pages.put(_DONE)
        except BaseException as exc:  # raised in the consuming thread
            self._error = exc
            self._stop.set()


def _pages_python(chain: str, after: int, through: int | None) -> Iterator[list[Row]]:
    fields = mac.bound_fields()
    names = [c for c, _ in fields]
    last = after
    while True:
        qs = AuditEvent.objects.filter(chain=chain, seq__gt=last)
        if through is not None:
            qs = qs.filter(seq__lte=through)
        page = list(qs.order_by("seq").values(*names, "canonical", "mac")[:PAGE])
        if not page:
            return
        yield [
            (
                row["seq"],
                bytes(row["canonical"]),
                (row["mac"] + mac.column_digest(row, fields).hex()).encode(),
            )
            for row in page
        ]
        last = page[-1]["seq"]


def rows(chain: str, after: int = 0, through: int | None = None) -> Iterator[Row]:
    """One segment's rows (for tools and benchmarks)."""
    with Stream([(chain, after, through)]) as stream:
        for _, page in stream:
            yield from page
