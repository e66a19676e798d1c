"""A message and a transition on one referral, by the same agency, at the same time.

Found by the load test (1 request in ~1,500 failed with a 500 `deadlock detected`):

* the message transaction inserts its row (the foreign key to the referral is checked only
  at COMMIT, as Django makes PostgreSQL foreign keys DEFERRABLE INITIALLY DEFERRED), takes
  the agency's audit chain lock, then at COMMIT needs a KEY SHARE lock on the referral row;
* the transition transaction holds the referral row `FOR UPDATE`, then waits for the chain.

Each waits for the other. Either fix removes the cycle: lock the referral `FOR NO KEY UPDATE`
(`select_for_update(no_key=True)`, which does not conflict with KEY SHARE) in
`referrals/transitions.py:locked_row` (and the other `select_for_update` of rows whose key
never changes), or run `SET CONSTRAINTS ALL IMMEDIATE` in `audit.services._append` before
taking the chain lock, so the chain lock is the last lock any transaction takes.

This test stages the interleaving deterministically. Fixed by the first option:
`referrals/transitions.py:locked_row` (and the expiry job) lock `FOR NO KEY UPDATE`.
"""

from __future__ import annotations

import threading

import psycopg2
import pytest

from referrals.messaging import referral_message_add
from referrals.services import referral_create
from tests.conftest import access_token_for, actor
from tests.reliability.conftest import Sending, child_database_url, post, waiting_backends

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_message_and_a_transition_at_once_both_succeed(gunicorn, sending: Sending, dave) -> None:
    referral = referral_create(
        actor=actor(sending.alice),
        client_id=sending.client.id,
        recipient_agency_id=sending.recipient.id,
        consent_id=sending.consent.id,
        service_type="shelter",
        reason="Lock order test (synthetic)",
    )
    referral_message_add(actor=actor(dave), referral=referral, body="first")  # starts the chain
    token = access_token_for(dave)
    base = f"/api/v1/referrals/{referral.id}"
    replies: dict[str, int] = {}

    def message() -> None:
        replies["message"] = post(gunicorn.port, f"{base}/messages/", {"body": "hi"}, token=token)[
            0
        ]

    def transition() -> None:
        replies["transition"] = post(
            gunicorn.port, f"{base}/transitions", {"to": "accepted"}, token=token
        )[0]

    holder = psycopg2.connect(child_database_url())
    threads = [threading.Thread(target=message), threading.Thread(target=transition)]
    try:
        with holder.cursor() as cur:
            chain = str(dave.agency_id)
            cur.execute("SELECT seq FROM audit_chainhead WHERE chain = %s FOR UPDATE", [chain])
            threads[0].start()
            waiting_backends(cur, count=1)  # the message waits for the chain
            threads[1].start()
            waiting_backends(cur, count=2)  # the transition too (holding the referral row)
        holder.rollback()
        for t in threads:
            t.join(20)
    finally:
        holder.close()

    assert replies == {"message": 201, "transition": 200}
