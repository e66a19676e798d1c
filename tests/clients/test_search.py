"""Duplicate search: normalised exact match via blind indexes, own agency only, no false hits."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from clients.models import Client
from crypto.blind import normalise

URL = "/api/v1/clients/search"


def _search(api, who, given, family, dob="1987-03-14"):
    response = api(who).post(
        URL, {"given_name": given, "family_name": family, "date_of_birth": dob}, format="json"
    )
    assert response.status_code == 200, response.content
    return [r["id"] for r in response.json()["results"]]


@pytest.mark.parametrize(
    ("given", "family"),
    [
        ("José", "Núñez"),
        ("jose", "nunez"),
        ("  JOSÉ ", "NUÑEZ"),
        ("Jose\u0301", "Nun\u0303ez"),  # combining accents
        ("ｊｏｓｅ", "ｎｕｎｅｚ"),  # full-width forms (NFKC)
    ],
)
def test_search_ignores_case_accents_and_spaces(api, alice, eastside, make_client, given, family):
    client = make_client(
        eastside, given_name="José", family_name="Núñez", date_of_birth="1987-03-14"
    )
    assert _search(api, alice, given, family) == [str(client.pk)]


def test_inner_spaces_are_collapsed(api, alice, eastside, make_client):
    client = make_client(
        eastside, given_name="Mary  Ann", family_name="de la Cruz", date_of_birth="1987-03-14"
    )
    assert _search(api, alice, "mary ann", "De  La   Cruz") == [str(client.pk)]


def test_a_different_birth_date_or_name_does_not_match(api, alice, eastside, make_client):
    make_client(eastside, given_name="Ana", family_name="Lopez", date_of_birth="1987-03-14")
    assert _search(api, alice, "Ana", "Lopez", "1987-03-15") == []
    assert _search(api, alice, "Anna", "Lopez") == []


def test_search_never_crosses_agencies(api, alice, carol, eastside, harbor, make_client):
    ours = make_client(eastside, given_name="Ana", family_name="Lopez", date_of_birth="1987-03-14")
    theirs = make_client(harbor, given_name="Ana", family_name="Lopez", date_of_birth="1987-03-14")
    assert _search(api, alice, "Ana", "Lopez") == [str(ours.pk)]
    assert _search(api, carol, "Ana", "Lopez") == [str(theirs.pk)]
    # the same person gets unrelated index values in two agencies (per-agency keys)
    assert (
        Client.objects.get(pk=ours.pk).search_index != Client.objects.get(pk=theirs.pk).search_index
    )


def test_truncation_collisions_never_return_a_wrong_person(
    api, alice, eastside, make_client, settings
):
    settings.CLIENT_SEARCH_INDEX_BITS = 1  # everyone collides with someone
    people = [
        make_client(eastside, given_name=f"Name{i}", family_name="Same", date_of_birth="1987-03-14")
        for i in range(6)
    ]
    assert len(set(Client.objects.values_list("search_index", flat=True))) <= 2
    for i, person in enumerate(people):
        assert _search(api, alice, f"name{i}", "same") == [str(person.pk)]


def test_search_is_audited_without_values(api, alice, eastside, make_client):
    make_client(
        eastside, given_name="Zorbulina", family_name="Quixcanary", date_of_birth="1987-03-14"
    )
    _search(api, alice, "Zorbulina", "Quixcanary")
    event = AuditEvent.objects.get(action="client.search")
    assert event.reason == "matches=1" and "Zorbulina" not in bytes(event.canonical).decode()


def test_erased_and_renamed_clients_leave_the_index(api, alice, sam, eastside, make_client):
    a = make_client(eastside, given_name="Ana", family_name="Lopez", date_of_birth="1987-03-14")
    b = make_client(eastside, given_name="Bea", family_name="Lopez", date_of_birth="1987-03-14")
    api(sam).post(f"/api/v1/clients/{a.pk}/erase", {"confirm": True}, format="json")
    assert Client.objects.get(pk=a.pk).search_index is None
    assert _search(api, alice, "Ana", "Lopez") == []
    renamed = api(alice).patch(
        f"/api/v1/clients/{b.pk}", {"identity": {"given_name": "Beatriz"}}, format="json"
    )
    assert renamed.status_code == 200
    stored = api(alice).get(f"/api/v1/clients/{b.pk}").json()["identity"]
    assert (stored["given_name"], stored["family_name"]) == ("Beatriz", "Lopez")
    assert _search(api, alice, "Bea", "Lopez") == []
    assert _search(api, alice, "beatriz", "lopez") == [str(b.pk)]


def test_search_input_is_validated(api, alice):
    body = {"given_name": "A", "family_name": "B", "date_of_birth": "x"}
    for extra, field in [({}, "date_of_birth"), ({"ssn": "1"}, "ssn")]:
        response = api(alice).post(URL, {**body, **extra}, format="json")
        assert response.status_code == 400
        assert field in {e["field"] for e in response.json()["errors"]}
    assert api(alice).get(URL).status_code == 405  # PII never in a query string


def test_normalise():
    assert normalise("  Ärger\u00a0 STRASSE ") == normalise("arger strasse")
    assert normalise("Straße") == normalise("STRASSE")


def test_without_a_birth_date_the_names_alone_match_in_the_own_agency_only(
    alice, carol, eastside, harbor, make_client
):
    from clients.reads import client_search
    from tests.conftest import actor

    ours = make_client(eastside, given_name="Mary-Jane", family_name="Núñez", date_of_birth="")
    born = make_client(
        eastside, given_name="mary jane", family_name="NUNEZ", date_of_birth="1990-05-01"
    )
    make_client(eastside, given_name="Mary", family_name="Nunez")
    make_client(harbor, given_name="Mary Jane", family_name="Nunez")  # another agency's
    found = client_search(actor=actor(alice), given_name="MARY JANE", family_name="nuñez")
    assert {c.pk for c, _ in found} == {ours.pk, born.pk}
    event = AuditEvent.objects.filter(action="client.search").latest("id")
    assert event.reason == "matches=2,by=name" and "Mary" not in str(event.canonical)
    assert client_search(actor=actor(carol), given_name="Mary Jane", family_name="Nunez")


def test_the_name_index_is_rebuilt_on_rename_cleared_on_erase_and_backfilled(
    alice, sam, eastside, make_client
):
    from clients.reads import client_search
    from clients.services import client_erase, client_update, clients_name_index_fill
    from core.actor import system_actor
    from tests.conftest import actor

    client = make_client(eastside, given_name="Ines", family_name="Roca")
    client_update(actor=actor(alice), client=client, data={"identity": {"given_name": "Inés"}})
    assert client_search(actor=actor(alice), given_name="ines", family_name="roca")

    Client.objects.filter(pk=client.pk).update(name_index=None)  # recorded before the index
    assert not client_search(actor=actor(alice), given_name="ines", family_name="roca")
    assert clients_name_index_fill(actor=system_actor("test")) == 1
    assert clients_name_index_fill(actor=system_actor("test")) == 0  # idempotent
    assert client_search(actor=actor(alice), given_name="ines", family_name="roca")

    client_erase(actor=actor(sam), client=Client.objects.get(pk=client.pk))
    assert Client.objects.get(pk=client.pk).name_index is None
    assert not client_search(actor=actor(alice), given_name="ines", family_name="roca")
