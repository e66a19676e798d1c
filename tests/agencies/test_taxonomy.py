"""The service taxonomy: one module, every type described, public codes honest."""

from __future__ import annotations

import importlib

from agencies.models import ServiceType
from agencies.taxonomy import OPEN_ELIGIBILITY, RENAMED, SERVICE_TYPES


def test_every_service_type_has_a_plain_language_entry():
    assert set(SERVICE_TYPES) == set(ServiceType.values)
    for code, info in SERVICE_TYPES.items():
        assert info.label and "_" not in info.label, code
        assert len(info.description) > 30 and info.description.endswith("."), code


def test_the_types_clinics_refer_between_are_there():
    wanted = {
        "civil_legal_aid",
        "immigration_legal",
        "criminal_record_relief",
        "family_law",
        "restorative_justice",
        "victim_offender_mediation",
        "community_mediation",
        "victim_advocacy",
        "shelter",
        "transitional_housing",
        "rental_assistance",
        "trauma_counselling",
        "mental_health",
        "substance_use",
        "health_care",
        "interpretation",
        "case_management",
        "employment",
        "benefits",
    }
    assert wanted <= set(ServiceType.values)


def test_public_codes_are_open_eligibility_terms_and_say_how_close_they_are():
    for code, info in SERVICE_TYPES.items():
        if info.public is None:
            continue
        assert info.public.taxonomy == OPEN_ELIGIBILITY, code
        assert info.public.code.startswith("human_services:"), code
        assert info.public.match in {"exact", "close", "broader"}, code
    unmapped = {code for code, info in SERVICE_TYPES.items() if info.public is None}
    assert unmapped == {"restorative_justice", "other"}
    broader = {c for c, i in SERVICE_TYPES.items() if i.public and i.public.match == "broader"}
    assert {"criminal_record_relief", "family_law", "victim_offender_mediation"} <= broader


def test_the_migrations_renamed_the_codes_the_taxonomy_replaced():
    for app in ("agencies", "referrals"):
        module = importlib.import_module(f"{app}.migrations.0002_directory_taxonomy")
        assert dict(module.RENAMED) == {old: str(new) for old, new in RENAMED.items()}
    assert not set(RENAMED) & set(ServiceType.values)


def test_the_taxonomy_is_served(api, carol):
    body = api(carol).get("/api/v1/service-types").json()
    by_code = {t["code"]: t for t in body["results"]}
    assert len(by_code) == len(ServiceType.values)
    assert by_code["community_mediation"]["public"] == {
        "taxonomy": "Open Eligibility",
        "code": "human_services:legal:mediation",
        "name": "Mediation",
        "match": "exact",
    }
    assert by_code["restorative_justice"]["public"] is None
