"""Scheduled jobs run by the worker loop, each at its own interval (settings / environment).

Jobs are named by dotted path and imported lazily: a job whose function is not available is
logged and skipped, never fatal. Each run is claimed in the database (`ScheduledJob`) with one
conditional UPDATE, so with several workers each job still runs once per interval.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.actor import Actor, system_actor
from webhooks.models import ScheduledJob

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    path: str  # "package.module:function"
    interval_setting: str
    passes_now: bool = True

    @property
    def interval(self) -> timedelta:
        return timedelta(seconds=int(getattr(settings, self.interval_setting)))


JOBS: tuple[Job, ...] = (
    Job(
        "referrals.expire", "referrals.services:referral_expire_due", "JOB_REFERRAL_EXPIRE_SECONDS"
    ),
    Job(
        "referrals.remind_due_soon",
        "referrals.services:referral_remind_due_soon",
        "JOB_REFERRAL_REMIND_SECONDS",
    ),
    Job("consent.expire", "consent.services:consent_expire_due", "JOB_CONSENT_EXPIRE_SECONDS"),
    Job("webhooks.prune", "webhooks.maintenance:webhooks_prune", "JOB_WEBHOOK_PRUNE_SECONDS"),
    Job(
        "audit.checkpoint",
        "audit.checkpoints:checkpoint_all",
        "JOB_AUDIT_CHECKPOINT_SECONDS",
        passes_now=False,
    ),
)


def job_function(job: Job) -> Callable[..., Any] | None:
    """The job's function, or None (logged) when its module or function does not exist yet."""
    module_name, _, attr = job.path.partition(":")
    try:
        function = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError):
        logger.warning("scheduled job unavailable, skipped", extra={"job": job.name})
        return None
    return function if callable(function) else None


def _claim(job: Job, now: datetime) -> bool:
    try:
        with transaction.atomic():
            ScheduledJob.objects.get_or_create(name=job.name, defaults={"next_run_at": now})
    except IntegrityError:
        pass  # another worker created it first
    claimed = ScheduledJob.objects.filter(name=job.name, next_run_at__lte=now).update(
        next_run_at=now + job.interval, last_started_at=now
    )
    return claimed == 1


def job_run(job: Job, *, actor: Actor, now: datetime) -> int | None:
    """Run one job now; errors are logged by class and recorded, never raised."""
    function = job_function(job)
    if function is None:
        return None
    kwargs: dict[str, Any] = {"actor": actor, "now": now} if job.passes_now else {"actor": actor}
    result: int | None = None
    error = ""
    try:
        outcome = function(**kwargs)
        result = outcome if isinstance(outcome, int) else None
    except Exception as exc:  # a job failing must not stop deliveries
        error = type(exc).__name__[:64]
        # The class only: another app's exception message could carry data we must not log.
        logger.error("scheduled job failed", extra={"job": job.name, "error": error})
    ScheduledJob.objects.filter(name=job.name).update(
        last_finished_at=timezone.now(), last_result=result, last_error=error
    )
    return result


def jobs_run_due(
    *, now: datetime | None = None, jobs: tuple[Job, ...] = JOBS
) -> dict[str, int | None]:
    """Run every job whose interval has elapsed (and that this worker claimed)."""
    now = now or timezone.now()
    actor = system_actor("worker")
    ran: dict[str, int | None] = {}
    for job in jobs:
        if job.interval.total_seconds() <= 0 or not _claim(job, now):
            continue
        ran[job.name] = job_run(job, actor=actor, now=now)
    return ran
