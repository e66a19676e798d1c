"""A list read the way cursor pagination reads it, its common pages from one pre-built statement.

Cursor pagination asks three things of a queryset: `order_by(*ordering)`, on a cursor with a
position `filter(<first ordering field>__lt/__gt=position)`, then a slice
`[offset:offset + page_size + 1]`. `Pages` answers the slice of the list in its own order with
`fetch(limit, offset)` (a statement built once, e.g. with `core.joined`), so the pages a
partner polls (the first one, and offset-only cursors) skip the ORM's query compilation; any
other order or a position filter goes to the ORM queryset it stands for (`orm()`, built only
then), which must hold the same rows in the same order (tests compare the two).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db.models import QuerySet


class Pages:
    """`Pages(ordering, fetch=lambda limit, offset: [...], orm=lambda: queryset)`."""

    def __init__(
        self,
        ordering: Sequence[str],
        *,
        fetch: Callable[[int, int], list[Any]],
        orm: Callable[[], QuerySet[Any]],
    ) -> None:
        self.ordering, self._fetch, self._orm = tuple(ordering), fetch, orm

    def order_by(self, *fields: str) -> Pages | QuerySet[Any]:
        """This list in its own order; in any other, the ORM's queryset."""
        return self if fields == self.ordering else self._orm().order_by(*fields)

    def filter(self, *args: Any, **kwargs: Any) -> QuerySet[Any]:
        """A cursor's position: the ORM's queryset, in this list's order, filtered."""
        return self._orm().order_by(*self.ordering).filter(*args, **kwargs)

    def __getitem__(self, window: slice) -> list[Any]:
        start, stop = window.start or 0, window.stop
        assert window.step is None and stop is not None and 0 <= start <= stop, (
            "Pages: slice a bounded window, as `[offset:offset + page_size + 1]`"
        )
        return self._fetch(stop - start, start)
