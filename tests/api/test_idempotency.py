"""`Idempotency-Key`: a retry returns the first result and never does the work twice."""

from __future__ import annotations

from agencies.models import Program


def _post(client, agency, key, **body):  # type: ignore[no-untyped-def]
    data = {"name": "Walk-in Clinic", "service_type": "civil_legal_aid", **body}
    return client.post(
        f"/api/v1/agencies/{agency.id}/programs", data, format="json", HTTP_IDEMPOTENCY_KEY=key
    )


def test_a_retry_with_the_same_key_returns_the_first_result(api, adam, eastside):
    client = api(adam)
    first = _post(client, eastside, "k-1")
    second = _post(client, eastside, "k-1")
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert second["Idempotent-Replayed"] == "true"
    assert Program.objects.filter(name="Walk-in Clinic").count() == 1


def test_the_same_key_with_a_different_body_is_422(api, adam, eastside):
    client = api(adam)
    assert _post(client, eastside, "k-2").status_code == 201
    response = _post(client, eastside, "k-2", description="changed")
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"


def test_keys_are_per_caller(api, adam, eastside):
    from tests.conftest import _user

    other_admin = _user("ada", eastside, "agency_admin")
    assert _post(api(adam), eastside, "shared").status_code == 201
    # Same key, different caller: a separate request (here a duplicate name, so 400).
    response = _post(api(other_admin), eastside, "shared")
    assert response.status_code == 400
    assert "Idempotent-Replayed" not in response


def test_a_failed_request_is_not_stored_so_the_retry_runs_again(api, adam, eastside):
    client = api(adam)
    failed = _post(client, eastside, "k-3", service_type="nope")
    assert failed.status_code == 400
    assert _post(client, eastside, "k-3").status_code == 201
