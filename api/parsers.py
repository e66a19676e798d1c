"""The JSON request parser, with a bounded nesting depth.

Python's `json` recurses once per level: a body of 50,000 `[` would end in a RecursionError
(a 500). Depth is counted first, outside strings and without recursion, and a body nested
deeper than `MAX_DEPTH` is a 400 `too_deep` before it is parsed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils.json import strict_constant

from core.errors import ApplicationError

MAX_DEPTH = 32  # our deepest input is 3 levels; FHIR-shaped bodies stay well under 16
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


class TooDeep(ApplicationError):
    status = 400
    code = "too_deep"
    title = "The JSON body is nested too deeply."


def json_depth_exceeds(text: str, limit: int = MAX_DEPTH) -> bool:
    """True when arrays/objects nest deeper than `limit` (strings are not counted)."""
    depth = 0
    for match in _BRACKET.finditer(_STRING.sub("", text)):
        depth += 1 if match.group() in "[{" else -1
        if depth > limit:
            return True
    return False


class BoundedJSONParser(JSONParser):
    """`application/json` as DRF parses it (NaN and Infinity refused), depth bounded."""

    def parse(
        self,
        stream: IO[Any] | None,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = (stream.read() if stream is not None else b"").decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(f"JSON parse error - the body is not {encoding}.") from exc
        if json_depth_exceeds(text):
            raise TooDeep(f"Nest arrays and objects at most {MAX_DEPTH} levels deep.")
        try:
            return json.loads(text, parse_constant=strict_constant)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
