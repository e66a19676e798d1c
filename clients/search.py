"""The blind indexes behind duplicate search, per agency, truncated: name + date of birth, and
the names alone (for a check when the date of birth is not known)."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings

from clients.fields import TABLE
from crypto.blind import blind_index, normalise

INDEX = "name_dob"
NAME_INDEX = "name"
# Hyphens and dashes count as spaces in names ("Mary-Jane" is "Mary Jane"); with
# `crypto.blind.normalise` (case, accents, spacing) this is the whole matching rule.
_DASHES = str.maketrans(dict.fromkeys("-\u2010\u2011\u2012\u2013\u2014\u2212", " "))


def name_key(value: Any) -> str:
    """A name as duplicate search compares it."""
    return normalise(str(value or "").translate(_DASHES))


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
        values=(name_key(given_name), name_key(family_name), date_of_birth),
        # 20 by default: ~1 false candidate per lookup at a million clients in one agency, and
        # enough coincidences that an index value alone does not single a person out.
        bits=settings.CLIENT_SEARCH_INDEX_BITS,
    )


def same_person(found: dict[str, Any], wanted: dict[str, Any]) -> bool:
    """Exact comparison after normalisation: truncation collisions never match a wrong person."""
    names = all(
        name_key(found.get(k)) == name_key(wanted[k]) for k in ("given_name", "family_name")
    )
    return names and normalise(str(found.get("date_of_birth") or "")) == normalise(
        str(wanted["date_of_birth"])
    )


def name_index_for(*, agency_id: uuid.UUID, given_name: Any, family_name: Any) -> str | None:
    """The names-only index value, or None when a name is missing. Names alone are less rare
    than names with a date of birth, so the same truncation leaves more coincidences."""
    parts = (given_name, family_name)
    if any(p is None or str(p).strip() == "" for p in parts):
        return None
    return blind_index(
        agency_id=agency_id,
        table=TABLE,
        index=NAME_INDEX,
        values=(name_key(given_name), name_key(family_name)),
        bits=settings.CLIENT_SEARCH_INDEX_BITS,
    )


def same_name(found: dict[str, Any], wanted: dict[str, Any]) -> bool:
    """The names match exactly after normalisation (whatever the dates of birth)."""
    return all(name_key(found.get(k)) == name_key(wanted[k]) for k in ("given_name", "family_name"))
