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


class AgencyRef(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
