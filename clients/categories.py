"""Data categories of a client's fields (DESIGN §4). Consent is granted per category."""

from __future__ import annotations

from django.db import models


class Category(models.TextChoices):
    IDENTITY = "identity"
    CONTACT = "contact"
    DEMOGRAPHICS = "demographics"
    SAFETY = "safety"
    IMMIGRATION = "immigration"
    HEALTH = "health"


FIELDS_BY_CATEGORY: dict[str, tuple[str, ...]] = {
    Category.IDENTITY: ("given_name", "family_name", "preferred_name", "date_of_birth"),
    Category.CONTACT: ("phone", "email", "address", "safe_contact_instructions"),
    Category.DEMOGRAPHICS: ("gender", "preferred_language", "household_size"),
    Category.SAFETY: ("risk_notes",),
    Category.IMMIGRATION: ("status", "notes"),
    Category.HEALTH: ("notes",),
}

# Never part of a default consent; granting them needs an explicit acknowledgement.
SPECIAL_CATEGORIES = frozenset({Category.IMMIGRATION, Category.HEALTH})
ALL_CATEGORIES = tuple(Category.values)
