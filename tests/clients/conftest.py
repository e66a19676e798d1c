"""Canary values: distinctive strings that must never appear outside an authorised response."""

from __future__ import annotations

import pytest

CANARIES = {
    "identity": {
        "given_name": "Zorbulina",
        "family_name": "Quixcanary",
        "preferred_name": "Zobi-Canary",
        "date_of_birth": "1987-03-14",
    },
    "contact": {
        "phone": "+1 555 0199 7731",
        "email": "zorbulina.canary@example.test",
        "address": "42 Canary Wharf Lane",
        "safe_contact_instructions": "Canary: only call after nine",
    },
    "demographics": {
        "gender": "canarygender",
        "preferred_language": "canarylang",
        "household_size": 7,
    },
    "safety": {"risk_notes": "Canary risk narrative about the abuser"},
    "immigration": {"status": "canary-visa-pending", "notes": "Canary immigration relief notes"},
    "health": {"notes": "Canary health disability notes"},
}


def canary_strings() -> list[str]:
    """Every canary value that is distinctive enough to scan for (not the small integer)."""
    return [str(v) for c in CANARIES.values() for v in c.values() if not isinstance(v, int)]


@pytest.fixture
def canaries() -> dict:
    return {k: dict(v) for k, v in CANARIES.items()}
