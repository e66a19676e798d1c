"""The database connection dies in the middle of a request (`pg_terminate_backend`).

The request is parked at a known point: the test holds the row lock on the sender's audit
chain head, so `referral_create` has already inserted the referral, its history and its
outbox rows and waits to append its audit event. Then the test kills that backend.
"""

from __future__ import annotations

import json
import threading
import uuid

import psycopg2
import pytest

from audit.models import AuditEvent
from audit.verify import verify_chains
from referrals.models import Referral, ReferralTransition
from tests.reliability.conftest import Sending, child_database_url, post, waiting_backends
from webhooks.models import OutboxEvent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_killed_connection_fails_cleanly_and_writes_nothing(gunicorn, sending: Sending) -> None:
    chain = str(sending.alice.agency_id)
    holder = psycopg2.connect(child_database_url())
    answer: dict[str, object] = {}
    key = str(uuid.uuid4())
    try:
        with holder.cursor() as cur:
            cur.execute("SELECT seq FROM audit_chainhead WHERE chain = %s FOR UPDATE", [chain])
            assert cur.fetchone() is not None, "the consent grant should have started the chain"

            def send() -> None:
                answer["reply"] = post(
                    gunicorn.port,
                    "/api/v1/referrals",
                    sending.body(),
                    token=sending.token,
                    key=key,
                )

            request = threading.Thread(target=send)
            request.start()
            (pid,) = waiting_backends(cur)
            cur.execute("SELECT pg_terminate_backend(%s)", [pid])
            request.join(20)
        holder.rollback()
    finally:
        holder.close()

    status, headers, raw = answer["reply"]  # type: ignore[misc]
    assert 500 <= status < 600
    assert headers["Content-Type"].startswith("application/problem+json")
    problem = json.loads(raw)
    assert problem["code"] == "internal_error" and problem["status"] == status
    text = raw.decode()
    for leak in ("Traceback", 'File "', "psycopg", "terminat", "audit_chainhead", "Fault"):
        assert leak not in text, f"the error body leaks {leak!r}: {text}"

    # Nothing half-written: no referral, no history, no outbox row, no audit event.
    assert not Referral.objects.filter(client=sending.client).exists()
    assert not ReferralTransition.objects.exists()
    assert not OutboxEvent.objects.filter(type="referral.requested").exists()
    assert not AuditEvent.objects.filter(action="referral.create").exists()
    assert verify_chains().valid

    # The worker reconnects; the client's retry with the same key creates it exactly once.
    status, _headers, raw = post(
        gunicorn.port, "/api/v1/referrals", sending.body(), token=sending.token, key=key
    )
    assert status == 201, raw
    referral = Referral.objects.get(client=sending.client)
    assert str(referral.id) == json.loads(raw)["id"]
    assert OutboxEvent.objects.filter(type="referral.requested").count() == 2  # both parties
    assert AuditEvent.objects.filter(action="referral.create", object_id=str(referral.id)).count()
    assert verify_chains().valid
