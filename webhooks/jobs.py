"""Scheduled jobs run by the worker loop, each at its own interval (settings / environment).

A registration point: the jobs themselves span apps, so the project lists them
(`referral_hub/jobs.py`) and registers them at startup; this module only claims and runs them.
Jobs are named by dotted path, resolved when registered: a path that does not resolve stops
the process from starting (fail closed), never a silently skipped job. Each run is claimed in
the database (`ScheduledJob`) with one conditional UPDATE, so with several workers each job
still runs once per interval.
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
from core.errors import ConfigError
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


_registered: dict[str, Job] = {}


def job_function(job: Job) -> Callable[..., Any]:
    """The job's function; a path or interval setting that does not resolve is a ConfigError."""
    module_name, _, attr = job.path.partition(":")
    try:
        function = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(
            f"Scheduled job {job.name!r}: {job.path!r} does not resolve ({exc}); "
            "fix the path in referral_hub/jobs.py."
        ) from None
    if not callable(function):
        raise ConfigError(f"Scheduled job {job.name!r}: {job.path!r} is not callable.")
    if not hasattr(settings, job.interval_setting):
        raise ConfigError(f"Scheduled job {job.name!r}: no setting {job.interval_setting}.")
    return function  # type: ignore[no-any-return]


def jobs_register(*jobs: Job) -> None:
    """Register jobs to run (the project does, at startup). Fails closed: every path must
    resolve now, or the process does not start."""
    for job in jobs:
        job_function(job)
    _registered.update({job.name: job for job in jobs})


def jobs_registered() -> tuple[Job, ...]:
    return tuple(_registered.values())


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
    *, now: datetime | None = None, jobs: tuple[Job, ...] | None = None
) -> dict[str, int | None]:
    """Run every (registered) job whose interval has elapsed and that this worker claimed."""
    now = now or timezone.now()
    jobs = jobs_registered() if jobs is None else jobs
    for job in jobs:
        job_function(job)  # fail closed before claiming anything
    actor = system_actor("worker")
    ran: dict[str, int | None] = {}
    for job in jobs:
        if job.interval.total_seconds() <= 0 or not _claim(job, now):
            continue
        ran[job.name] = job_run(job, actor=actor, now=now)
    return ran
