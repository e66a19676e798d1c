"""Two concurrent transitions never both win (PostgreSQL: real row locks, real threads)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from core.actor import Actor
from core.errors import ApplicationError
from referrals.models import Referral, ReferralTransition
from referrals.services import referral_transition


def _race(referral_id, actor: Actor, targets: list[str], version: int | None):  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(len(targets))
    outcomes: list[str] = []

    def attempt(target: str) -> None:
        try:
            barrier.wait()
            referral = Referral.objects.get(pk=referral_id)
            reason = "done" if target in {"rejected", "cancelled"} else ""
            referral_transition(
                actor=actor, referral=referral, to=target, reason=reason, expected_version=version
            )
            outcomes.append("won")
        except ApplicationError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(t,)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("version", [None, 1])
def test_accept_and_reject_race_has_one_winner(dave, referral, version):
    from tests.conftest import actor

    outcomes = _race(referral["id"], actor(dave), ["accepted", "rejected"] * 3, version)
    assert outcomes.count("won") == 1, outcomes
    assert set(outcomes) - {"won"} <= {"illegal_transition", "stale_version"}
    assert Referral.objects.get(pk=referral["id"]).version == 2
    assert ReferralTransition.objects.filter(referral_id=referral["id"]).count() == 2
