"""`Idempotency-Key`: a retry returns the first result and never does the work twice."""

from __future__ import annotations

from agencies.models import Program


def _post(client, agency, key, **body):  # type: ignore[no-untyped-def]
    data = {"name": "Walk-in Clinic", "service_type": "civil_legal_aid", **body}
    return client.post(
        f"/api/v1/agencies/{agency.id}/programs/", data, format="json", HTTP_IDEMPOTENCY_KEY=key
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


def _age(hours: int) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from core.models import IdempotencyRecord

    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=hours))


def test_an_expired_key_not_yet_purged_runs_the_request_again(api, adam, eastside, settings):
    from core.models import IdempotencyRecord

    client = api(adam)
    first = _post(client, eastside, "k-old")
    _age(settings.IDEMPOTENCY_TTL_HOURS + 1)  # expired, and the purge job has not run
    again = _post(client, eastside, "k-old", name="Evening Clinic")
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert again.json()["id"] != first.json()["id"]
    record = IdempotencyRecord.objects.get(key="k-old")
    assert record.resource_id == again.json()["id"]


def test_the_purge_job_deletes_only_expired_records(api, adam, eastside, settings):
    from core.actor import system_actor
    from core.idempotency import idempotency_purge
    from core.models import IdempotencyRecord

    client = api(adam)
    _post(client, eastside, "k-a")
    _age(settings.IDEMPOTENCY_TTL_HOURS + 1)
    _post(client, eastside, "k-b", name="Evening Clinic")
    assert idempotency_purge(actor=system_actor("worker")) == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["k-b"]
