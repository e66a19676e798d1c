"""Cursor pagination on every list: stable under inserts, no COUNT(*)."""

from __future__ import annotations

from rest_framework.pagination import CursorPagination

from referrals.selectors import PRIORITY_ORDER


class CreatedCursorPagination(CursorPagination):
    """Newest first; `?page_size=` up to 100; `{next, previous, results}`."""

    ordering: tuple[str, ...] = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100


class IdCursorPagination(CreatedCursorPagination):
    ordering = ("-id",)


class PriorityCursorPagination(CreatedCursorPagination):
    """Most pressing first: `priority_rank` (annotated: stat 0 ... routine 3), then the nearest
    response deadline, then newest."""

    ordering = PRIORITY_ORDER
