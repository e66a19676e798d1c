"""Two identical POSTs with one `Idempotency-Key` at the same moment create one referral.

Both requests are parked on the sender's audit chain lock (held by the test), so both have
already checked for the key and done their work; then the lock is released. The second to
commit must fail on the key's unique constraint, roll back, and replay the first result.
(The load test found this: an older version replaced the twin's record and created two.)
"""

from __future__ import annotations

import json
import threading
import uuid

import psycopg2
import pytest

from audit.verify import verify_chains
from referrals.models import Referral
from tests.reliability.conftest import Sending, child_database_url, post, waiting_backends
from webhooks.models import OutboxEvent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_simultaneous_twins_create_one_referral(gunicorn, sending: Sending) -> None:
    key = str(uuid.uuid4())
    replies: list[tuple[int, dict[str, str], bytes]] = []

    def send() -> None:
        replies.append(
            post(gunicorn.port, "/api/v1/referrals", sending.body(), token=sending.token, key=key)
        )

    holder = psycopg2.connect(child_database_url())
    try:
        with holder.cursor() as cur:
            chain = str(sending.alice.agency_id)
            cur.execute("SELECT seq FROM audit_chainhead WHERE chain = %s FOR UPDATE", [chain])
            twins = [threading.Thread(target=send) for _ in range(2)]
            for t in twins:
                t.start()
            waiting_backends(cur, count=2)
        holder.rollback()  # release: one commits, the other hits the key's unique constraint
        for t in twins:
            t.join(20)
    finally:
        holder.close()

    assert [status for status, _h, _b in replies] == [201, 201], replies
    ids = {json.loads(body)["id"] for _s, _h, body in replies}
    assert len(ids) == 1
    assert sorted(h.get("Idempotent-Replayed", "") for _s, h, _b in replies) == ["", "true"]
    assert list(Referral.objects.values_list("id", flat=True)) == [uuid.UUID(ids.pop())]
    assert OutboxEvent.objects.filter(type="referral.requested").count() == 2  # both parties
    assert verify_chains().valid
