"""Cursor pagination on every list: stable under inserts, no COUNT(*), signed cursors.

A cursor is opaque: the position DRF encodes, signed with the secret key and bound to the
list's path. A cursor that was not issued for this list (edited, crafted, from another list,
or from before a key rotation) is a 400 `invalid_cursor`, never a database error.
"""

from __future__ import annotations

from base64 import b64decode, b64encode
from typing import Any
from urllib import parse

from django.core import signing
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request
from rest_framework.utils.urls import replace_query_param

from core.errors import ValidationFailed
from referrals.selectors import NEWEST_ORDER, PRIORITY_ORDER

_SALT = "referral-hub.cursor"


def _signer(path: str) -> signing.Signer:
    return signing.Signer(salt=f"{_SALT}:{path}")


class InvalidCursor(ValidationFailed):
    code = "invalid_cursor"
    title = "The cursor is not valid for this list."


class SignedCursorPagination(CursorPagination):
    """DRF's cursor pagination with a signed, path-bound cursor."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        self._path = request.path
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request: Request) -> Cursor | None:
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None:
            return None
        try:
            token = _signer(request.path).unsign(encoded)
            tokens = parse.parse_qs(b64decode(token.encode("ascii")).decode("ascii"))
            offset = int(tokens.get("o", ["0"])[0])
            reverse = bool(int(tokens.get("r", ["0"])[0]))
            position = tokens.get("p", [None])[0]
        except (signing.BadSignature, TypeError, ValueError, UnicodeError) as exc:
            raise InvalidCursor(
                "Use the `next` or `previous` link of this list as it was returned.",
                field=self.cursor_query_param,
            ) from exc
        if not 0 <= offset <= self.offset_cutoff:
            raise InvalidCursor(field=self.cursor_query_param)
        return Cursor(offset=offset, reverse=reverse, position=position)  # type: ignore[arg-type]

    def encode_cursor(self, cursor: Cursor) -> str:
        tokens: dict[str, Any] = {}
        if cursor.offset != 0:
            tokens["o"] = str(cursor.offset)
        if cursor.reverse:
            tokens["r"] = "1"
        if cursor.position is not None:
            tokens["p"] = cursor.position
        raw = b64encode(parse.urlencode(tokens, doseq=True).encode("ascii")).decode("ascii")
        signed = _signer(self._path).sign(raw)
        return str(replace_query_param(str(self.base_url), self.cursor_query_param, signed))


class CreatedCursorPagination(SignedCursorPagination):
    """Newest first; `?page_size=` up to 100; `{next, previous, results}`."""

    ordering: tuple[str, ...] = NEWEST_ORDER


class IdCursorPagination(CreatedCursorPagination):
    ordering = ("-id",)


class NameCursorPagination(SignedCursorPagination):
    """By name (the directory)."""

    ordering = ("name", "id")


class PriorityCursorPagination(CreatedCursorPagination):
    """Most pressing first: `priority_rank` (annotated: stat 0 ... routine 3), then the nearest
    response deadline, then newest."""

    ordering = PRIORITY_ORDER
