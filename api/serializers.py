"""Serializer base classes: unknown input fields are rejected, never silently dropped."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class StrictInput(serializers.Serializer):
    """Input serializer that answers 400 for fields it does not know."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: ["Unknown field."] for name in unknown}, code="unknown_field"
                )
        return super().to_internal_value(data)


class StrictQuery(StrictInput):
    """Query-string filters: unknown parameters are 400 too (a renamed filter must not be
    silently ignored, widening the result); the paginator's own parameters pass."""

    PAGINATION = frozenset({"cursor", "page_size"})

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):  # a QueryDict: one value per parameter
            data = {k: data.get(k) for k in data if k not in self.PAGINATION}
        return super().to_internal_value(data)


class AgencyRef(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
