"""Referral narrative sealed under the client's data key (erasing the client erases it)."""

from __future__ import annotations

import uuid

from django.db import models

from clients.models import Client
from crypto.service import seal, unseal


def _table(model: type[models.Model] | models.Model) -> str:
    return model._meta.db_table


def seal_text(
    *, client: Client, model: type[models.Model], column: str, row_id: uuid.UUID, value: str | None
) -> bytes | None:
    """Seal `value` for (table, column, row) of `model`; empty text is stored as NULL."""
    if not value:
        return None
    return seal(client=client, table=_table(model), column=column, row_id=row_id, value=value)


def unseal_text(*, client: Client, row: models.Model, column: str) -> str | None:
    """The plaintext of a sealed column, or None when empty or the client was erased."""
    blob = getattr(row, column)
    if blob is None or client.erased_at is not None:
        return None
    return unseal(client=client, table=_table(row), column=column, row_id=row.pk, blob=bytes(blob))
