"""The two-instance load test's own parts (issue 18, Deliver 4): the round-robin sends a retry
to the other instance, the webhook receiver verifies signatures and refuses first copies so
retries happen, its checks fail on a copy beyond retries, and the failure is loud. The load
test itself is `make loadtest INSTANCES=2` (minutes of CPU: not part of `make test`)."""

from __future__ import annotations

import subprocess
import time
import uuid
from collections import Counter
from types import SimpleNamespace

import pytest

from bench import loadtest
from bench.loadgen import RoundRobin
from bench.receiver import Receiver, refused_first
from tests.ops.stack import ROOT
from webhooks import signing


def test_the_round_robin_alternates_and_a_retry_goes_to_the_other_instance():
    balancer = RoundRobin([8500, 8501])
    assert [balancer.next() for _ in range(4)] == [8500, 8501, 8500, 8501]
    assert balancer.other(8500) == 8501 and balancer.other(8501) == 8500
    assert RoundRobin([8500]).other(8500) == 8500  # one instance: the same one


def _signed(secret: str, event_id: str) -> tuple[dict[str, str], bytes]:
    body = f'{{"id":"{event_id}","type":"referral.requested"}}'.encode()
    stamp = int(time.time())
    signature = signing.sign(secret, msg_id=event_id, timestamp=stamp, body=body)
    headers = {
        "webhook-id": event_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": signature,
    }
    return headers, body


def test_the_receiver_refuses_a_first_copy_of_some_events_and_accepts_the_retry():
    receiver = Receiver(port=0)
    secret = signing.secret_generate()
    receiver.secrets["/hooks/0"] = secret
    ids = [str(uuid.uuid4()) for _ in range(400)]
    refused = [i for i in ids if refused_first(i)]
    assert 5 <= len(refused) <= 40  # about 5%
    event = refused[0]
    headers, body = _signed(secret, event)
    assert receiver.record("/hooks/0", headers, body) == 503
    assert receiver.record("/hooks/0", headers, body) == 204
    assert receiver.received[("/hooks/0", event)] == 2
    assert receiver.accepted[("/hooks/0", event)] == 1


def test_the_receiver_rejects_unsigned_and_wrongly_signed_posts():
    receiver = Receiver(port=0)
    receiver.secrets["/hooks/0"] = signing.secret_generate()
    event = str(uuid.uuid4())
    headers, body = _signed(signing.secret_generate(), event)  # another subscription's secret
    assert receiver.record("/hooks/0", headers, body) == 400
    assert receiver.record("/hooks/0", {"webhook-id": event}, body) == 400
    assert len(receiver.bad) == 2 and not receiver.received


@pytest.mark.django_db
def test_a_copy_beyond_the_attempts_fails_the_webhook_check(alice):
    from bench.loadcheck import verify_webhooks
    from webhooks.models import Delivery, DeliveryStatus, OutboxEvent, Subscription

    sub = Subscription.objects.create(
        agency_id=alice.agency_id, url="http://127.0.0.1:8509/hooks/0", event_types=["*"]
    )
    event = OutboxEvent.objects.create(agency_id=alice.agency_id, type="referral.requested")
    Delivery.objects.create(
        subscription=sub,
        event=event,
        status=DeliveryStatus.DELIVERED,
        attempt_count=1,
        give_up_at=event.occurred_at,
    )
    key = ("/hooks/0", str(event.event_id))
    receiver = SimpleNamespace(received=Counter({key: 1}), accepted=Counter({key: 1}), bad=[])
    subscriptions = {str(sub.id): ("/hooks/0", "secret")}
    assert all(ok for _n, ok, _d in verify_webhooks(subscriptions, receiver))
    receiver.received[key] = receiver.accepted[key] = 2  # delivered twice on one attempt
    results = {name: ok for name, ok, _d in verify_webhooks(subscriptions, receiver)}
    assert results["no duplicate event ids beyond retries"] is False
    receiver.received, receiver.accepted = Counter(), Counter()  # never arrived
    results = {name: ok for name, ok, _d in verify_webhooks(subscriptions, receiver)}
    assert results["every webhook delivered"] is False


def test_a_failed_check_exits_non_zero_and_names_it(capsys):
    assert loadtest.failed([("a", True, "fine")]) == 0
    assert loadtest.failed([("a", True, "fine"), ("limit", False, "7 evaluated")]) == 1
    err = capsys.readouterr().err
    assert "LOAD TEST CHECK FAILED: limit: 7 evaluated" in err
    assert "LOAD TEST FAILED: 1 of 2 checks" in err


def test_make_loadtest_reaches_the_two_instance_mode():
    plain = subprocess.run(
        ["make", "-n", "loadtest"], cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    two = subprocess.run(
        ["make", "-n", "loadtest", "INSTANCES=2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert "bench.loadtest --write --instances 1" in plain.stdout
    assert "bench.loadtest --write --instances 2" in two.stdout
