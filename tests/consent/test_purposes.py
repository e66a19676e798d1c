"""The purpose-fits-service table: every service type has its row (fail closed)."""

from __future__ import annotations

import pytest

from agencies.taxonomy import ServiceType
from consent.models import Purpose
from consent.purposes import PURPOSES_FOR_SERVICE, purpose_check, purpose_fits, purposes_for
from core.errors import Conflict


def test_every_service_type_has_a_row():
    """Whoever adds a `ServiceType` (the directory) adds the purposes that may cover it here:
    until then no consent covers a referral of that type."""
    missing = sorted(set(ServiceType.values) - set(PURPOSES_FOR_SERVICE))
    assert not missing, f"add rows to consent/purposes.py PURPOSES_FOR_SERVICE for {missing}"
    assert set(PURPOSES_FOR_SERVICE) <= set(ServiceType.values), "a row for no service type"
    for service, purposes in PURPOSES_FOR_SERVICE.items():
        assert purposes, f"{service} has an empty row"
        assert set(purposes) <= set(Purpose.values), f"{service}: unknown purposes"


def test_an_unknown_service_type_fits_nothing():
    assert purposes_for("teleportation") == ()
    assert not any(purpose_fits(purpose=p, service_type="teleportation") for p in Purpose.values)


@pytest.mark.parametrize(
    ("purpose", "service", "fits"),
    [
        ("housing", "shelter", True),
        ("housing", "transitional_housing", True),
        ("social_services", "transitional_housing", False),
        ("legal_services", "immigration_legal", True),
        ("housing", "civil_legal_aid", False),
        ("health_care", "mental_health", True),
        ("case_coordination", "case_management", True),
    ],
)
def test_some_rows(purpose, service, fits):
    assert purpose_fits(purpose=purpose, service_type=service) is fits


def test_a_mismatch_names_the_purposes_that_would_fit():
    with pytest.raises(Conflict) as refused:
        purpose_check(purpose="social_services", service_type="rental_assistance")
    assert refused.value.code == "purpose_mismatch"
    assert refused.value.extra["allowed_purposes"] == ["housing"]


def test_the_docs_show_the_table():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "consent.md").read_text()
    for service, purposes in PURPOSES_FOR_SERVICE.items():
        row = f"| `{service}` | " + ", ".join(f"`{p}`" for p in purposes) + " |"
        assert row in doc, f"docs/consent.md lacks the row {row}"
