"""Each client's DEK is unwrapped at most once per request, and no key outlives the request."""

from __future__ import annotations

import pytest

from crypto import scope
from crypto.providers import LocalKeyProvider

URL = "/api/v1/clients"


@pytest.fixture
def unwraps(monkeypatch):
    """Count KEK unwraps (data keys and index keys) through the key provider."""
    calls: list[bytes] = []
    real = LocalKeyProvider.unwrap

    def counting(self, wrapped, *, context):  # type: ignore[no-untyped-def]
        calls.append(context)
        return real(self, wrapped, context=context)

    monkeypatch.setattr(LocalKeyProvider, "unwrap", counting)
    return calls


def test_a_detail_read_unwraps_the_dek_once(api, alice, eastside, make_client, unwraps):
    client = make_client(eastside, phone="1", risk_notes="x", health_notes="y")
    unwraps.clear()
    assert api(alice).get(f"{URL}/{client.pk}").status_code == 200
    assert len(unwraps) == 1


def test_a_list_unwraps_each_dek_once(api, alice, eastside, make_client, unwraps):
    for _ in range(4):
        make_client(eastside)
    unwraps.clear()
    assert len(api(alice).get(URL).json()["results"]) == 4
    assert len(unwraps) == 4


def test_a_patch_then_read_unwraps_once(api, alice, eastside, make_client, unwraps):
    client = make_client(eastside)
    unwraps.clear()
    body = {"identity": {"given_name": "New"}, "contact": {"phone": "2"}}
    assert api(alice).patch(f"{URL}/{client.pk}", body, format="json").status_code == 200
    dek_unwraps = [c for c in unwraps if b"rh-dek" in c]
    assert len(dek_unwraps) == 1


def test_a_create_needs_no_unwrap(api, alice, unwraps):
    body = {"identity": {"given_name": "A", "family_name": "B", "date_of_birth": "1990-01-01"}}
    assert api(alice).post(URL, body, format="json").status_code == 201
    assert not [c for c in unwraps if b"rh-dek" in c]


def test_no_key_survives_the_request(api, alice, eastside, make_client):
    client = make_client(eastside)
    seen: list[scope.KeyScope] = []
    original = scope.KeyScope.clear

    def spy(self):  # type: ignore[no-untyped-def]
        seen.append(self)
        original(self)

    scope.KeyScope.clear = spy  # type: ignore[method-assign]
    try:
        api(alice).get(f"{URL}/{client.pk}")
    finally:
        scope.KeyScope.clear = original  # type: ignore[method-assign]
    assert seen and all(not s.deks and not s.aeads and not s.index_keys for s in seen)
    assert not scope.is_open()
