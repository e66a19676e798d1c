"""The agency directory and program upkeep by agency admins."""

from __future__ import annotations

import uuid

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import AgencyFactory, ProgramFactory


def test_any_authenticated_caller_reads_the_directory(api, alice, harbor, safehouse):
    response = api(alice).get("/api/v1/agencies")
    assert response.status_code == 200
    names = [a["name"] for a in response.json()["results"]]
    assert {"Eastside Legal Clinic", "Harbor Social Services", "Safe Harbor Housing"} <= set(names)
    assert set(response.json()) == {"next", "previous", "results"}


def test_directory_list_uses_a_constant_number_of_queries(api, alice):
    client = api(alice)
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/agencies")
    for i in range(15):
        ProgramFactory(agency=AgencyFactory(kind="other"), name="P", service_type="other")
    with CaptureQueriesContext(connection) as many:
        assert len(client.get("/api/v1/agencies").json()["results"]) == 16
    assert len(many) == len(few)


def test_directory_is_cursor_paginated(api, alice):
    AgencyFactory.create_batch(4, kind="other")
    first = api(alice).get("/api/v1/agencies?page_size=2").json()
    assert len(first["results"]) == 2 and first["next"]
    second = api(alice).get(first["next"]).json()
    assert not {a["id"] for a in first["results"]} & {a["id"] for a in second["results"]}


def test_inactive_agencies_are_not_listed(api, alice, harbor):
    harbor.is_active = False
    harbor.save(update_fields=["is_active"])
    assert api(alice).get(f"/api/v1/agencies/{harbor.id}").status_code == 404


def test_agency_detail_lists_programs(api, carol, eastside):
    body = api(carol).get(f"/api/v1/agencies/{eastside.id}").json()
    assert body["programs"][0]["name"] == "Protective Orders"


def test_unknown_agency_is_404(api, alice):
    assert api(alice).get(f"/api/v1/agencies/{uuid.uuid4()}").status_code == 404


def _program(**extra):  # type: ignore[no-untyped-def]
    return {
        "name": "Know Your Rights",
        "service_type": "civil_legal_aid",
        "languages": ["en"],
        **extra,
    }


def test_agency_admin_adds_a_program(api, adam, eastside):
    response = api(adam).post(f"/api/v1/agencies/{eastside.id}/programs", _program(), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["capacity_status"] == "available"
    assert response.json()["capacity_updated_at"]


def test_a_caseworker_cannot_change_programs(api, alice, eastside):
    response = api(alice).post(
        f"/api/v1/agencies/{eastside.id}/programs", _program(), format="json"
    )
    assert response.status_code == 403


def test_an_admin_cannot_change_another_agencys_programs(api, adam, harbor):
    response = api(adam).post(f"/api/v1/agencies/{harbor.id}/programs", _program(), format="json")
    assert response.status_code == 403
    program = harbor.programs.get()
    patch = api(adam).patch(
        f"/api/v1/agencies/{harbor.id}/programs/{program.id}",
        {"capacity_status": "full"},
        format="json",
    )
    assert patch.status_code == 404
    program.refresh_from_db()
    assert program.capacity_status == "available"


def test_updating_capacity_stamps_the_time(api, adam, eastside):
    program = eastside.programs.get()
    response = api(adam).patch(
        f"/api/v1/agencies/{eastside.id}/programs/{program.id}",
        {"capacity_status": "waitlist"},
        format="json",
    )
    assert response.status_code == 200, response.content
    program.refresh_from_db()
    assert program.capacity_status == "waitlist" and program.capacity_updated_at is not None


def test_invalid_program_input_is_a_field_error(api, adam, eastside):
    response = api(adam).post(
        f"/api/v1/agencies/{eastside.id}/programs",
        _program(service_type="spaceflight"),
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "service_type"


def test_integration_without_scope_cannot_change_programs(api, eastside, make_integration):
    integration = make_integration(eastside, scopes=["referrals:read"])
    response = api(integration).post(
        f"/api/v1/agencies/{eastside.id}/programs", _program(), format="json"
    )
    assert response.status_code == 403
