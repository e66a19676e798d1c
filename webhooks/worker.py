"""The worker loop: fan out new outbox rows, deliver due deliveries, run scheduled jobs."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from webhooks.delivery import (
    Outcome,
    delivery_attempt,
    delivery_claim,
    delivery_record_many,
    delivery_release,
)
from webhooks.fanout import fanout_pending
from webhooks.jobs import jobs_run_due

logger = logging.getLogger(__name__)


class Stop(Protocol):
    """What the loop needs of a stop request (`threading.Event`, `shutdown.StopRequest`)."""

    def is_set(self) -> bool: ...

    def wait(self, timeout: float | None = None) -> bool: ...


@dataclass
class TickResult:
    fanned_out: int = 0
    attempted: int = 0
    delivered: int = 0

    @property
    def busy(self) -> bool:
        return bool(self.fanned_out or self.attempted)


def worker_tick(
    *, now: datetime | None = None, run_jobs: bool = True, stop: Stop | None = None
) -> TickResult:
    """One pass of the loop. `now` is the clock (tests pass it); HTTP timestamps use real time."""
    result = TickResult(fanned_out=fanout_pending(now=now))
    claimed = delivery_claim(now=now)
    # Stop sending before the batch's lease could run out mid-attempt (that would only cause a
    # duplicate, but there is no need for one) and hand the rest back.
    budget = settings.WEBHOOK_LEASE_SECONDS - 2 * settings.WEBHOOK_TIMEOUT_SECONDS
    started = time.monotonic()
    outcomes: list[Outcome] = []
    try:
        for index, delivery in enumerate(claimed):
            if (stop is not None and stop.is_set()) or time.monotonic() - started > budget:
                delivery_release(claimed[index:])
                break
            at = now or timezone.now()
            outcomes.append((delivery, delivery_attempt(delivery, at), at))
    finally:
        delivery_record_many(outcomes)  # one commit for the batch
    result.attempted = len(outcomes)
    result.delivered = sum(1 for _, sent, _ in outcomes if sent.ok)
    if run_jobs:
        jobs_run_due(now=now)
    return result


def worker_drain(*, now: datetime | None = None, max_ticks: int = 100) -> TickResult:
    """Tick until nothing is due (tests and `run_worker --once`)."""
    total = TickResult()
    for _ in range(max_ticks):
        tick = worker_tick(now=now, run_jobs=total.attempted == 0 and total.fanned_out == 0)
        total.fanned_out += tick.fanned_out
        total.attempted += tick.attempted
        total.delivered += tick.delivered
        if not tick.busy:
            break
    return total


def worker_loop(stop: Stop) -> None:
    """Run until `stop` is set (SIGTERM/SIGINT): finishes the current delivery, then returns."""
    logger.info("webhook worker started")
    while not stop.is_set():
        close_old_connections()
        try:
            tick = worker_tick(stop=stop)
        except Exception:  # keep the worker alive through a transient database error
            logger.exception("worker tick failed")
            tick = TickResult()
        if not tick.busy:
            stop.wait(settings.WEBHOOK_POLL_SECONDS)
    logger.info("webhook worker stopped")
