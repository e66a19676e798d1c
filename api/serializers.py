"""Serializer base classes: unknown input fields are rejected, never silently dropped.

Every field error of a body comes back in one response: unknown fields beside the shape errors
of the known ones. Errors carry hints for the caller: `allowed` (the valid values) on an
`invalid_choice`, `did_you_mean` on an unknown field that is a near miss of a known one.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

UNKNOWN_FIELD = "Unknown field."


class FieldErrors(serializers.ValidationError):
    """DRF's ValidationError plus per-field hints, keyed by the dotted field path."""

    def __init__(self, detail: Any, hints: dict[str, dict[str, Any]]):
        super().__init__(detail)
        self.hints = hints


def near_miss(name: str, known: list[str]) -> str | None:
    """The known field an unknown one most likely meant (`recipient_agency` for `..._id`)."""
    lowered = {k.lower(): k for k in known}
    key = name.lower()
    for candidate in (f"{key}_id", key.removesuffix("_id"), key.replace("-", "_")):
        if candidate in lowered and candidate != key:
            return lowered[candidate]
    close = difflib.get_close_matches(key, list(lowered), n=1, cutoff=0.75)
    return lowered[close[0]] if close else None


def _join(prefix: str, key: Any) -> str:
    name = "" if key == "non_field_errors" else str(key)
    return f"{prefix}.{name}" if prefix and name else prefix or name


def field_hints(field: Any, detail: Any, prefix: str = "") -> dict[str, dict[str, Any]]:
    """Walk the error tree beside the serializer tree and collect hints per field path."""
    hints: dict[str, dict[str, Any]] = {}
    if isinstance(detail, Mapping):
        children = getattr(field, "fields", None)
        for key, sub in detail.items():
            path = _join(prefix, key)
            if children is not None:
                child = children.get(key)
                if child is None and _codes(sub) == {"unknown_field"}:
                    guess = near_miss(str(key), list(children))
                    if guess:
                        hints[path] = {"did_you_mean": guess}
                elif child is not None:
                    hints.update(field_hints(child, sub, path))
            elif hasattr(field, "child"):
                hints.update(field_hints(field.child, sub, path))
    elif isinstance(detail, list):
        for item in detail:
            if isinstance(item, Mapping | list):
                hints.update(field_hints(getattr(field, "child", field), item, prefix))
            elif getattr(item, "code", None) == "invalid_choice" and hasattr(field, "choices"):
                hints[prefix] = {"allowed": [str(c) for c in field.choices]}
    return hints


def _codes(detail: Any) -> set[str]:
    items = detail if isinstance(detail, list) else [detail]
    return {str(getattr(i, "code", "")) for i in items}


class HintedInput(serializers.Serializer):
    """Raises `FieldErrors`: DRF's errors plus hints (`allowed`, `did_you_mean`)."""

    def is_valid(self, *, raise_exception: bool = False) -> bool:
        valid = super().is_valid(raise_exception=False)
        if not valid and raise_exception:
            raise FieldErrors(self.errors, field_hints(self, self.errors))
        return valid


class StrictInput(HintedInput):
    """Input serializer that answers 400 for fields it does not know, with everything else."""

    def to_internal_value(self, data: Any) -> Any:
        unknown: dict[str, list[ErrorDetail]] = {}
        if isinstance(data, Mapping):
            for name in sorted(set(data) - set(self.fields)):
                unknown[str(name)] = [ErrorDetail(UNKNOWN_FIELD, code="unknown_field")]
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if unknown and isinstance(exc.detail, dict):
                raise serializers.ValidationError({**exc.detail, **unknown}) from exc
            raise
        if unknown:
            raise serializers.ValidationError(unknown)
        return value


class StrictQuery(StrictInput):
    """Query-string filters: unknown parameters are 400 too (a renamed filter must not be
    silently ignored, widening the result); the paginator's own parameters and the renderer's
    `format` pass."""

    PAGINATION = frozenset({"cursor", "page_size", "format"})

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):  # a QueryDict: one value per parameter
            data = {k: data.get(k) for k in data if k not in self.PAGINATION}
        return super().to_internal_value(data)


class AgencyRef(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
