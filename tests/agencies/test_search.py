"""`GET /api/v1/programs`: every filter, freshness flags, cursor pages, constant queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import AgencyFactory, ProgramFactory

URL = "/api/v1/programs"


@pytest.fixture
def riverside(db):  # type: ignore[no-untyped-def]
    """A community agency with a Spanish-speaking restorative-justice program and a full
    mediation program."""
    agency = AgencyFactory(name="Riverside Community Justice Center", kind="other")
    now = timezone.now()
    ProgramFactory(
        agency=agency,
        name="Restorative Justice Conferencing",
        service_type="restorative_justice",
        languages=["en", "es"],
        assured_at=now - timedelta(days=3),
        capacity_updated_at=now,
    )
    ProgramFactory(
        agency=agency,
        name="Neighbourhood Mediation",
        service_type="community_mediation",
        languages=["en"],
        capacity_status="full",
        assured_at=now - timedelta(days=400),
    )
    return agency


def names(api, who, query=""):  # type: ignore[no-untyped-def]
    response = api(who).get(f"{URL}{query}")
    assert response.status_code == 200, response.content
    return [p["name"] for p in response.json()["results"]]


def test_a_caseworker_finds_an_open_restorative_justice_program_that_speaks_spanish(
    api, carol, riverside, eastside
):
    query = "?service_type=restorative_justice&language=es&accepting=true"
    response = api(carol).get(f"{URL}{query}")
    [program] = response.json()["results"]
    assert program["name"] == "Restorative Justice Conferencing"
    assert program["agency"]["name"] == "Riverside Community Justice Center"
    assert program["service_type_label"] == "Restorative justice conferencing"
    assert program["capacity_updated_at"] and program["capacity_stale"] is False
    assert program["assured_date"] == (timezone.now() - timedelta(days=3)).date().isoformat()
    assert program["stale"] is False


def test_each_filter(api, carol, riverside, eastside, harbor, safehouse):
    everyone = names(api, carol)
    assert len(everyone) == 5
    assert names(api, carol, "?service_type=community_mediation") == ["Neighbourhood Mediation"]
    assert names(api, carol, "?language=es") == ["Restorative Justice Conferencing"]
    assert names(api, carol, "?language=ES") == ["Restorative Justice Conferencing"]
    assert names(api, carol, "?capacity_status=full") == ["Neighbourhood Mediation"]
    assert "Neighbourhood Mediation" not in names(api, carol, "?accepting=true")
    assert names(api, carol, "?accepting=false") == ["Neighbourhood Mediation"]
    assert names(api, carol, "?agency_kind=housing") == ["Emergency Shelter"]
    assert names(api, carol, f"?agency_id={harbor.id}") == ["Case Management"]
    assert names(api, carol, "?verified_within_days=30") == ["Restorative Justice Conferencing"]
    assert names(api, carol, "?verified_within_days=500") == [
        "Neighbourhood Mediation",
        "Restorative Justice Conferencing",
    ]


def test_a_program_that_stopped_taking_referrals_is_not_accepting(api, carol, eastside):
    eastside.programs.update(accepting_referrals=False)
    assert names(api, carol, "?accepting=true") == ["Case Management"]  # carol's own, at Harbor
    assert names(api, carol, "?accepting=false") == ["Protective Orders"]


def test_a_language_filter_matches_whole_tags_only(api, carol, db):
    ProgramFactory(name="Mexican Spanish", languages=["es-mx"])
    ProgramFactory(name="Estonian", languages=["et"])
    assert names(api, carol, "?language=es") == []
    assert names(api, carol, "?language=es-mx") == ["Mexican Spanish"]


def test_programs_of_inactive_agencies_are_not_listed(api, carol, riverside):
    riverside.is_active = False
    riverside.save(update_fields=["is_active"])
    assert names(api, carol, "?service_type=restorative_justice") == []


@pytest.mark.parametrize(
    "query",
    [
        "?service_type=spaceflight",
        "?language=Ana%20Canary",
        "?capacity_status=roomy",
        "?verified_within_days=0",
        "?agency_kind=castle",
        "?accepting=perhaps",
    ],
)
def test_bad_filters_are_400(api, carol, query):
    response = api(carol).get(f"{URL}{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


def test_stale_flags(api, carol, eastside, settings):
    settings.DIRECTORY_ASSURED_STALE_DAYS = 30
    settings.DIRECTORY_CAPACITY_STALE_DAYS = 2
    program = eastside.programs.get()
    old = timezone.now() - timedelta(days=31)
    type(program).objects.filter(pk=program.pk).update(assured_at=None, capacity_updated_at=old)
    [entry] = api(carol).get(f"{URL}?agency_id={eastside.id}").json()["results"]
    assert (entry["assured_date"], entry["stale"], entry["capacity_stale"]) == (None, True, True)
    type(program).objects.filter(pk=program.pk).update(
        assured_at=timezone.now(), capacity_updated_at=timezone.now()
    )
    [entry] = api(carol).get(f"{URL}?agency_id={eastside.id}").json()["results"]
    assert (entry["stale"], entry["capacity_stale"]) == (False, False)


def test_the_search_uses_a_constant_number_of_queries(api, carol, riverside):
    client = api(carol)
    with CaptureQueriesContext(connection) as few:
        client.get(f"{URL}?accepting=true&language=en")
    for i in range(12):
        ProgramFactory(agency=AgencyFactory(), name=f"P{i}", languages=["en"])
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(f"{URL}?accepting=true&language=en").json()["results"]) == 13
    assert len(many) == len(few)


def test_the_search_is_cursor_paginated_by_name(api, carol, db):
    for name in ("Delta", "Alpha", "Echo", "Charlie", "Bravo"):
        ProgramFactory(name=name)
    first = api(carol).get(f"{URL}?page_size=2").json()
    assert [p["name"] for p in first["results"]] == ["Alpha", "Bravo"]
    second = api(carol).get(first["next"]).json()
    third = api(carol).get(second["next"]).json()
    rest = [p["name"] for p in second["results"] + third["results"]]
    assert rest == ["Case Management", "Charlie", "Delta", "Echo"]  # Harbor's, carol's agency
    assert third["next"] is None


def test_the_selector_takes_plain_parameters(riverside):
    from agencies.selectors import program_search

    found = program_search(service_type="restorative_justice", language="es", accepting=True)
    assert [p.name for p in found] == ["Restorative Justice Conferencing"]
    assert list(program_search(agency_kind="other", capacity_status="full")) == list(
        program_search(accepting=False)
    )
