"""Delivery visibility and manual redelivery; the delivery-time destination check."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from webhooks.models import Delivery, DeliveryAttempt, DeliveryStatus
from webhooks.services import outbox_emit
from webhooks.worker import worker_drain

pytestmark = pytest.mark.django_db


def _emit(agency, n: int = 1) -> None:
    for _ in range(n):
        outbox_emit(
            type="referral.status_changed", agency_ids=[agency.id], data={"status": "accepted"}
        )


def test_deliveries_list_attempts_status_codes_and_next_retry(
    api, adam, eastside, receiver, subscribe
):
    sub = subscribe(adam)
    _emit(eastside, 3)
    receiver.mode = "fail"
    worker_drain()
    client = api(adam)
    url = f"/api/v1/webhooks/{sub.id}/deliveries"
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"page_size": 2})
    assert response.status_code == 200
    body = response.json()
    assert len(body["results"]) == 2 and body["next"]
    first = body["results"][0]
    assert first["status"] == "pending" and first["attempt_count"] == 1
    assert first["last_status_code"] == 500 and first["next_attempt_at"]
    assert first["attempts"][0]["status_code"] == 500
    assert first["attempts"][0]["next_retry_at"] == first["next_attempt_at"]
    assert len(queries) <= 8, [q["sql"] for q in queries]
    rest = client.get(body["next"]).json()
    assert len(rest["results"]) == 1


def test_redeliver_queues_a_delivered_event_again(api, adam, eastside, receiver, subscribe):
    subscribe(adam)
    _emit(eastside)
    worker_drain()
    delivery = Delivery.objects.get()
    response = api(adam).post(f"/api/v1/webhooks/deliveries/{delivery.id}/redeliver")
    assert response.status_code == 202 and response.json()["status"] == "pending"
    worker_drain()
    assert len(receiver.received) == 2 and len(receiver.accepted) == 1  # same webhook-id
    assert Delivery.objects.get().status == DeliveryStatus.DELIVERED
    assert AuditEvent.objects.filter(action="webhook.redeliver").exists()


def test_deliveries_of_another_agency_are_404(
    api, adam, eastside, harbor, make_integration, subscribe
):
    sub = subscribe(adam)
    _emit(eastside)
    worker_drain()
    delivery = Delivery.objects.get()
    other = api(make_integration(harbor, scopes=["webhooks:write"]))
    assert other.get(f"/api/v1/webhooks/{sub.id}/deliveries").status_code == 404
    assert other.post(f"/api/v1/webhooks/deliveries/{delivery.id}/redeliver").status_code == 404


def test_delivery_endpoints_permission_trio(api, anon, alice, adam, eastside, subscribe):
    sub = subscribe(adam)
    _emit(eastside)
    worker_drain()
    delivery = Delivery.objects.get()
    list_url = f"/api/v1/webhooks/{sub.id}/deliveries"
    redeliver_url = f"/api/v1/webhooks/deliveries/{delivery.id}/redeliver"
    assert anon.get(list_url).status_code == 401
    assert anon.post(redeliver_url).status_code == 401
    assert api(alice).get(list_url).status_code == 403
    assert api(alice).post(redeliver_url).status_code == 403
    assert api(adam).get(list_url).status_code == 200


def test_the_destination_is_checked_again_at_delivery_time(
    settings, adam, eastside, receiver, subscribe
):
    """A host that was acceptable when subscribed but now resolves privately is not called."""
    subscribe(adam)
    _emit(eastside)
    settings.WEBHOOK_ALLOW_PRIVATE = False  # as if DNS now pointed the host at 127.0.0.1
    worker_drain()
    assert receiver.received == []
    attempt = DeliveryAttempt.objects.get()
    assert attempt.error_class == "DestinationRefused" and attempt.status_code is None
    assert Delivery.objects.get().status == DeliveryStatus.PENDING
