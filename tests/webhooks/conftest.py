"""Fixtures for the webhook tests: a live receiver and subscriptions pointing at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from accounts.models import User
from tests.conftest import actor
from tests.webhooks.receiver import Receiver
from webhooks.models import Subscription
from webhooks.services import subscription_create


@pytest.fixture(autouse=True)
def _webhook_settings(settings):  # type: ignore[no-untyped-def]
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 2
    settings.WEBHOOK_BATCH_SIZE = 50
    for name in (
        "JOB_REFERRAL_EXPIRE_SECONDS",
        "JOB_REFERRAL_REMIND_SECONDS",
        "JOB_CONSENT_EXPIRE_SECONDS",
        "JOB_AUDIT_CHECKPOINT_SECONDS",
        "JOB_WEBHOOK_PRUNE_SECONDS",
    ):
        setattr(settings, name, 0)  # the job tests switch them on


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    live = Receiver()
    yield live
    live.stop()


@pytest.fixture
def subscribe(receiver: Receiver) -> Callable[..., Subscription]:
    """`subscribe(adam)` -> a subscription of adam's agency to the receiver (all event types)."""

    def make(
        admin: User, event_types: tuple[str, ...] = ("*",), url: str | None = None
    ) -> Subscription:
        sub, secret = subscription_create(
            actor=actor(admin), url=url or receiver.url, event_types=list(event_types)
        )
        receiver.secret = secret
        return sub

    return make
