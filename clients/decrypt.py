"""Decrypt a client's fields by category. Not audited here: the caller audits the disclosure."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from clients.fields import SPECS_BY_CATEGORY, TABLE, column_of, decode
from clients.models import Client
from core.actor import Actor
from core.errors import ValidationFailed
from crypto.service import unseal


def category_values(client: Client, category: str, actor: Actor | None = None) -> dict[str, Any]:
    """Every field of one category of `client`, decrypted (None where not recorded)."""
    column = column_of(category)
    blob = getattr(client, column)
    text = unseal(
        client=client, table=TABLE, column=category, row_id=client.pk, blob=blob, actor=actor
    )
    return decode(category, text)


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
    return {category: category_values(client, category, actor) for category in wanted}
