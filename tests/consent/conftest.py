"""Shared helpers for the consent tests: a client at Eastside and a valid grant body."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from agencies.models import Agency


@pytest.fixture
def person(make_client, eastside, alice):  # type: ignore[no-untyped-def]
    """An Eastside client (encrypted fields via the crypto helper's factory)."""
    return make_client(eastside)


@pytest.fixture
def grant_body(safehouse: Agency):  # type: ignore[no-untyped-def]
    def make(**over: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "recipient_agency_id": str(safehouse.id),
            "categories": ["identity", "contact"],
            "purpose": "housing",
            "purpose_detail": "Needs a shelter bed away from her partner",
            "expires_at": (timezone.now() + timedelta(days=90)).isoformat(),
            "method": "written",
            "signed_by": "client",
            "informed": True,
        }
        body.update(over)
        return {k: v for k, v in body.items() if v is not None}

    return make
