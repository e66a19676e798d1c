"""The blind index behind duplicate search: name + date of birth, per agency, truncated."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings

from clients.fields import TABLE
from crypto.blind import blind_index, normalise

INDEX = "name_dob"


def search_index_for(
    *, agency_id: uuid.UUID, given_name: Any, family_name: Any, date_of_birth: Any
) -> str | None:
    """The index value, or None when any part is missing (such clients are not searchable)."""
    parts = (given_name, family_name, date_of_birth)
    if any(p is None or str(p).strip() == "" for p in parts):
        return None
    return blind_index(
        agency_id=agency_id,
        table=TABLE,
        index=INDEX,
        values=parts,
        # 20 by default: ~1 false candidate per lookup at a million clients in one agency, and
        # enough coincidences that an index value alone does not single a person out.
        bits=settings.CLIENT_SEARCH_INDEX_BITS,
    )


def same_person(found: dict[str, Any], wanted: dict[str, Any]) -> bool:
    """Exact comparison after normalisation: truncation collisions never match a wrong person."""
    return all(
        normalise(str(found.get(k) or "")) == normalise(str(wanted[k]))
        for k in ("given_name", "family_name", "date_of_birth")
    )
