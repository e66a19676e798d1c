"""The rows verification walks: for each segment (chain, after seq, through seq), its rows in seq
order as `(seq, canonical bytes, sealed)`, where `sealed` is the hex text of the stored MAC
followed by the hex of the column digest `SHA-256(columns)` (audit/mac.py) of that row as stored
now. Pages of PAGE rows, keyset over the unique (chain, seq) index; no long transaction.

On PostgreSQL the database computes every row's column digest as it reads the row (nothing is
stored ahead or trusted from an earlier write), and a thread fetches the next pages on the
caller's own connection while the caller checks the current one: the same statements, the same
transaction and role, in the same order, only overlapped (PostgreSQL's work on one core, the
hashing in this process on the other). Text columns arrive as bytes (no decode, no re-encode).
Elsewhere the columns are fetched through the ORM and digested here, one page at a time.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator
from typing import Any

from django.db import connection

from audit import mac
from audit.models import AuditEvent

PAGE = 2000  # rows per statement; small enough that fetching and checking overlap
AHEAD = 3  # pages fetched ahead at most (memory stays flat)
Segment = tuple[str, int, int | None]  # (chain, after seq, through seq or None)
Row = tuple[int, bytes, bytes]


def _sql(through: int | None, page: int) -> str:
    limit = "" if through is None else f"AND seq <= {int(through)} "
    return (
        "SELECT seq, convert_from(canonical, 'UTF8'), "  # noqa: S608 (constants only)
        f"mac || {mac.column_sql(mac.bound_fields())} FROM audit_auditevent "
        f"WHERE chain = %s AND seq > %s {limit}ORDER BY seq LIMIT {page}"
    )


class Stream:
    """Pages of each segment in order: iterate `(segment index, rows)`; `skip(index)` stops the
    fetching of that segment (its walk is broken). Use as a context manager."""

    def __init__(self, segments: list[Segment]) -> None:
        self.segments = segments
        self.skipped: set[int] = set()
        self._stop = threading.Event()
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=AHEAD)
        self._thread: threading.Thread | None = None

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
                    if index in self.skipped:
                        break
                    yield index, rows
            return
        connection.ensure_connection()
        self._thread = threading.Thread(
            target=self._fetch, args=(connection.connection,), name="audit-verify-fetch"
        )
        self._thread.daemon = True
        self._thread.start()
        while (item := self._queue.get()) is not None:
            if isinstance(item, BaseException):
                with connection.wrap_database_errors:
                    raise item
            if item[0] not in self.skipped:
                yield item

    def close(self) -> None:
        """Stop the fetching thread and wait for it (its statement, if any, finishes first)."""
        self._stop.set()
        while self._thread is not None and self._thread.is_alive():
            with contextlib.suppress(queue.Empty):
                self._queue.get(timeout=0.05)
        if self._thread is not None:
            self._thread.join()

    def _put(self, item: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def _fetch(self, raw: Any) -> None:
        """The fetching thread: psycopg2 connections are thread-safe (one statement at a time,
        serialised by the connection's lock); it never touches Django's wrapper."""
        import psycopg2.extensions

        try:
            with raw.cursor() as cursor:
                psycopg2.extensions.register_type(psycopg2.extensions.BYTES, cursor)
                for index, (chain, after, through) in enumerate(self.segments):
                    page = PAGE
                    sql, last = _sql(through, page), after
                    while not self._stop.is_set() and index not in self.skipped:
                        cursor.execute(sql, [chain, last])
                        rows = cursor.fetchall()
                        if rows and not self._put((index, rows)):
                            return
                        if len(rows) < page:
                            break  # the segment's rows, as they were when this page was read
                        last = rows[-1][0]
            self._put(None)
        except BaseException as exc:  # handed to the consuming thread, raised there
            self._put(exc)


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
