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
from collections.abc import Callable

import psycopg2
import pytest

from referrals.messaging import referral_message_add
from referrals.services import referral_create
from tests.conftest import access_token_for, actor
from tests.reliability.conftest import Sending, child_database_url, post, waiting_backends

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def staged(chain: str, first: Callable[[], None], second: Callable[[], None]) -> None:
    """Park `first`, then `second`, on the audit chain lock; release them together."""
    holder = psycopg2.connect(child_database_url())
    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    try:
        with holder.cursor() as cur:
            cur.execute("SELECT seq FROM audit_chainhead WHERE chain = %s FOR UPDATE", [chain])
            threads[0].start()
            waiting_backends(cur, count=1)  # the first waits for the chain
            threads[1].start()
            waiting_backends(cur, count=2)  # the second too (holding the row it locked)
        holder.rollback()
        for t in threads:
            t.join(20)
    finally:
        holder.close()


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
        replies["message"] = post(gunicorn.port, f"{base}/messages", {"body": "hi"}, token=token)[0]

    def transition() -> None:
        replies["transition"] = post(
            gunicorn.port, f"{base}/transitions", {"to": "accepted"}, token=token
        )[0]

    staged(str(dave.agency_id), message, transition)
    assert replies == {"message": 201, "transition": 200}


def test_a_referral_create_and_a_consent_revoke_at_once_both_finish(
    gunicorn, sending: Sending
) -> None:
    """The same cycle through another foreign key: the new referral's to its consent (and
    client), which the revocation holds `FOR UPDATE` while it waits for the chain."""
    replies: dict[str, int] = {}

    def create() -> None:
        replies["create"] = post(
            gunicorn.port, "/api/v1/referrals", sending.body(), token=sending.token
        )[0]

    def revoke() -> None:
        replies["revoke"] = post(
            gunicorn.port,
            f"/api/v1/consents/{sending.consent.id}/revoke",
            {"reason": "withdrawn"},
            token=sending.token,
        )[0]

    staged(str(sending.alice.agency_id), create, revoke)
    assert replies == {"create": 201, "revoke": 200}  # the create took the chain first


def test_a_referral_create_and_a_client_update_at_once_both_succeed(
    gunicorn, sending: Sending
) -> None:
    """Through the new referral's foreign key to its client, which the update holds
    `FOR UPDATE` while it waits for the chain. Before `audit_append` checked deferred foreign
    keys ahead of the chain lock, PostgreSQL aborted one of the two with a deadlock (a 500)."""
    replies: dict[str, int] = {}

    def create() -> None:
        replies["create"] = post(
            gunicorn.port, "/api/v1/referrals", sending.body(), token=sending.token
        )[0]

    def update() -> None:
        replies["update"] = post(
            gunicorn.port,
            f"/api/v1/clients/{sending.client.id}",
            {"demographics": {"household_size": 3}},
            token=sending.token,
            method="PATCH",
        )[0]

    staged(str(sending.alice.agency_id), create, update)
    assert replies == {"create": 201, "update": 200}
