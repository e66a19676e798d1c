"""The client API: nested categories, own agency only, validation, idempotency, audit."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from core.roles import Scope

URL = "/api/v1/clients"


def _create(client_api, body):
    response = client_api.post(URL, body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_a_caseworker_creates_and_reads_a_client(api, alice, canaries):
    created = _create(api(alice), canaries)
    assert created["identity"] == canaries["identity"]
    read = api(alice).get(f"{URL}/{created['id']}").json()
    for category, values in canaries.items():
        assert read[category] == values, category
    assert read["erased"] is False
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions.count("client.create") == 1 and "client.read" in actions


def test_round_trip_of_each_field(api, alice, canaries):
    created = _create(api(alice), {"identity": canaries["identity"]})
    for category, values in canaries.items():
        for name, value in values.items():
            response = api(alice).patch(
                f"{URL}/{created['id']}", {category: {name: value}}, format="json"
            )
            assert response.status_code == 200, response.content
            assert response.json()[category][name] == value


def test_patch_changes_only_the_given_fields(api, alice, canaries):
    created = _create(api(alice), canaries)
    response = api(alice).patch(
        f"{URL}/{created['id']}",
        {"contact": {"phone": None}, "safety": {"risk_notes": "calmer"}},
        format="json",
    )
    body = response.json()
    assert body["contact"]["phone"] is None
    assert body["contact"]["email"] == canaries["contact"]["email"]
    assert body["safety"]["risk_notes"] == "calmer"
    assert body["identity"] == canaries["identity"]


@pytest.mark.parametrize(
    "body",
    [
        {"identity": {"given_name": "A"}},  # family name missing
        {"identity": {"given_name": "A", "family_name": "B", "nickname": "x"}},
        {"identity": {"given_name": "A", "family_name": "B"}, "finances": {}},
        {"identity": {"given_name": "A" * 101, "family_name": "B"}},
        {"identity": {"given_name": "A", "family_name": "B", "date_of_birth": "14/03/1987"}},
        {"identity": {"given_name": "A", "family_name": "B", "date_of_birth": "2999-01-01"}},
        {
            "identity": {"given_name": "A", "family_name": "B"},
            "demographics": {"household_size": 0},
        },
        {
            "identity": {"given_name": "A", "family_name": "B"},
            "demographics": {"household_size": 31},
        },
        {"identity": {"given_name": "A", "family_name": "B"}, "contact": {"email": "not-an-email"}},
    ],
)
def test_invalid_input_is_a_400_problem(api, alice, body):
    response = api(alice).post(URL, body, format="json")
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "validation_error"
    assert not AuditEvent.objects.filter(action="client.create").exists()


def test_errors_never_echo_values(api, alice):
    response = api(alice).post(
        URL, {"identity": {"given_name": "Zorbulina", "family_name": "Q" * 150}}, format="json"
    )
    assert response.status_code == 400
    assert b"Zorbulina" not in response.content and b"QQQQ" not in response.content


def test_patch_cannot_remove_a_name(api, alice, make_client, eastside):
    client = make_client(eastside, given_name="Ana", family_name="Lopez")
    cases = [
        ({"identity": {"given_name": None}}, "identity.given_name"),
        ({"identity": {"family_name": ""}}, "identity.family_name"),
        ({}, ""),
    ]
    for body, field in cases:
        response = api(alice).patch(f"{URL}/{client.pk}", body, format="json")
        assert response.status_code == 400, body
        assert response.json()["code"] == "validation_error"
        assert [e["field"] for e in response.json()["errors"]] == [field]
    identity = api(alice).get(f"{URL}/{client.pk}").json()["identity"]
    assert (identity["given_name"], identity["family_name"]) == ("Ana", "Lopez")
    assert not AuditEvent.objects.filter(action="client.update").exists()


def test_the_name_rule_holds_for_every_caller_not_only_the_api(eastside, make_client):
    from clients.services import client_create, client_update
    from core.actor import system_actor
    from core.errors import ValidationFailed

    operator = system_actor("test")
    with pytest.raises(ValidationFailed):
        client_create(actor=operator, agency=eastside, data={"identity": {"given_name": "A"}})
    client = make_client(eastside)
    with pytest.raises(ValidationFailed):
        client_update(actor=operator, client=client, data={"identity": {"family_name": None}})


# --- permissions: anonymous 401, other agency 404, wrong role 403 --------------------------


def test_anonymous_is_401_everywhere(anon, make_client, eastside):
    client = make_client(eastside)
    for method, url in [
        ("get", URL),
        ("post", URL),
        ("get", f"{URL}/{client.pk}"),
        ("patch", f"{URL}/{client.pk}"),
        ("post", f"{URL}/search"),
        ("post", f"{URL}/{client.pk}/erase"),
    ]:
        assert getattr(anon, method)(url, {}, format="json").status_code == 401, (method, url)


def test_another_agency_gets_404(api, carol, hank, make_client, eastside):
    client = make_client(eastside)
    assert api(carol).get(f"{URL}/{client.pk}").status_code == 404
    assert (
        api(carol)
        .patch(f"{URL}/{client.pk}", {"safety": {"risk_notes": "x"}}, format="json")
        .status_code
        == 404
    )
    assert (
        api(hank).post(f"{URL}/{client.pk}/erase", {"confirm": True}, format="json").status_code
        == 404
    )
    assert api(carol).get(URL).json()["results"] == []


@pytest.mark.parametrize("persona", ["adam", "erin"])
def test_admins_and_compliance_officers_see_no_client_data(
    api, request, make_client, eastside, persona
):
    who = request.getfixturevalue(persona)
    client = make_client(eastside)
    assert api(who).get(URL).status_code == 403
    assert api(who).get(f"{URL}/{client.pk}").status_code == 403
    assert (
        api(who)
        .post(URL, {"identity": {"given_name": "A", "family_name": "B"}}, format="json")
        .status_code
        == 403
    )
    search = {"given_name": "Test", "family_name": "Person", "date_of_birth": "1990-01-01"}
    assert api(who).post(f"{URL}/search", search, format="json").status_code == 403


def test_integrations_need_the_clients_scopes(api, make_integration, make_client, eastside, harbor):
    client = make_client(eastside)
    reader = make_integration(eastside, scopes=[Scope.CLIENTS_READ])
    writer = make_integration(eastside, scopes=[Scope.CLIENTS_WRITE])
    outsider = make_integration(harbor, scopes=[Scope.CLIENTS_READ])
    assert api(reader).get(f"{URL}/{client.pk}").status_code == 200
    assert (
        api(reader)
        .patch(f"{URL}/{client.pk}", {"safety": {"risk_notes": "x"}}, format="json")
        .status_code
        == 403
    )
    assert api(writer).get(f"{URL}/{client.pk}").status_code == 403
    assert (
        api(writer)
        .post(URL, {"identity": {"given_name": "A", "family_name": "B"}}, format="json")
        .status_code
        == 201
    )
    assert api(outsider).get(f"{URL}/{client.pk}").status_code == 404
    assert (
        api(writer).post(f"{URL}/{client.pk}/erase", {"confirm": True}, format="json").status_code
        == 403
    )


def test_only_a_supervisor_erases(api, alice, sam, make_client, eastside):
    client = make_client(eastside)
    assert (
        api(alice).post(f"{URL}/{client.pk}/erase", {"confirm": True}, format="json").status_code
        == 403
    )
    assert api(sam).post(f"{URL}/{client.pk}/erase", {}, format="json").status_code == 400
    response = api(sam).post(f"{URL}/{client.pk}/erase", {"confirm": True}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["erased"] is True and "identity" not in response.json()


# --- list -------------------------------------------------------------------------------------


def test_the_list_shows_identity_only_and_paginates(api, alice, make_client, eastside, harbor):
    for i in range(3):
        make_client(eastside, given_name=f"Person{i}", phone="+1 555 0100")
    make_client(harbor, given_name="Elsewhere")
    first = api(alice).get(f"{URL}?page_size=2").json()
    assert len(first["results"]) == 2 and first["next"]
    assert set(first["results"][0]) == {"id", "created_at", "erased", "identity"}
    second = api(alice).get(first["next"]).json()
    names = {r["identity"]["given_name"] for r in first["results"] + second["results"]}
    assert names == {"Person0", "Person1", "Person2"}


def _list_queries(api, alice, n):
    caller = api(alice)
    caller.get(URL)  # warm up
    with CaptureQueriesContext(connection) as ctx:
        response = caller.get(URL)
    assert response.status_code == 200 and len(response.json()["results"]) == n
    return len(ctx.captured_queries)


def test_the_list_query_count_is_constant(api, alice, make_client, eastside):
    make_client(eastside)
    one = _list_queries(api, alice, 1)
    for _ in range(4):
        make_client(eastside)
    assert _list_queries(api, alice, 5) == one


# --- erase, idempotency ------------------------------------------------------------------------


def test_an_erased_client_reads_as_erased(api, alice, sam, make_client, eastside):
    client = make_client(eastside, risk_notes="Canary risk")
    api(sam).post(f"{URL}/{client.pk}/erase", {"confirm": True}, format="json")
    body = api(alice).get(f"{URL}/{client.pk}").json()
    assert body["erased"] is True and body["erased_at"]
    assert not set(body) & {"identity", "safety"}
    assert (
        api(alice)
        .patch(f"{URL}/{client.pk}", {"safety": {"risk_notes": "x"}}, format="json")
        .status_code
        == 410
    )
    listed = api(alice).get(URL).json()["results"]
    assert listed == [
        {
            "id": str(client.pk),
            "created_at": listed[0]["created_at"],
            "erased": True,
            "identity": None,
        }
    ]
    assert AuditEvent.objects.filter(action="client.erase").count() == 1


def test_a_retried_create_returns_the_first_client(api, alice, canaries):
    from core.models import IdempotencyRecord

    caller = api(alice)
    headers = {"HTTP_IDEMPOTENCY_KEY": "create-1"}
    first = caller.post(URL, canaries, format="json", **headers)
    again = caller.post(URL, canaries, format="json", **headers)
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == {**first.json(), "updated_at": again.json()["updated_at"]}
    stored = IdempotencyRecord.objects.get()
    assert stored.body is None and "Zorbulina" not in str(stored.__dict__)
    assert caller.get(URL).json()["results"].__len__() == 1


def test_a_write_only_integration_can_retry_a_create(api, make_integration, eastside):
    writer = make_integration(eastside, scopes=[Scope.CLIENTS_WRITE])
    body = {"identity": {"given_name": "A", "family_name": "B"}}
    first = api(writer).post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="w-1")
    again = api(writer).post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="w-1")
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]


def test_a_write_only_integration_never_reads_fields_back(
    api, make_integration, make_client, eastside
):
    writer = make_integration(eastside, scopes=[Scope.CLIENTS_WRITE])
    client = make_client(eastside, given_name="Zorbulina", phone="+1 555 0199")
    response = api(writer).patch(
        f"{URL}/{client.pk}", {"contact": {"email": "a@example.test"}}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["id"] == str(client.pk) and "contact" not in response.json()
    assert b"Zorbulina" not in response.content and b"0199" not in response.content
    created = api(writer).post(
        URL, {"identity": {"given_name": "A", "family_name": "B"}}, format="json"
    )
    assert created.status_code == 201 and "identity" not in created.json()
