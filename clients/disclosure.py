"""Decrypt a client's fields by category. Not audited here: the caller audits the disclosure."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from accounts.actor import Actor
from clients.fields import SPECS_BY_CATEGORY, TABLE, FieldSpec
from clients.models import Client
from core.errors import ValidationFailed
from crypto.service import unseal


def _value(client: Client, spec: FieldSpec, actor: Actor | None) -> Any:
    blob = getattr(client, spec.column)
    text = unseal(
        client=client, table=TABLE, column=spec.column, row_id=client.pk, blob=blob, actor=actor
    )
    return spec.from_text(text)


def client_fields(
    *, client: Client, categories: Iterable[str], actor: Actor | None = None
) -> dict[str, dict[str, object]]:
    """{category: {field: value}} for the requested categories; an erased client gives {}."""
    wanted = list(dict.fromkeys(categories))
    unknown = [c for c in wanted if c not in SPECS_BY_CATEGORY]
    if unknown:
        raise ValidationFailed(
            "Unknown data category.", code="unknown_category", categories=unknown
        )
    if client.erased_at is not None:
        return {}
    return {
        category: {spec.name: _value(client, spec, actor) for spec in SPECS_BY_CATEGORY[category]}
        for category in wanted
    }
