"""Scheduled jobs: each runs once per interval; a job path that does not resolve fails closed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from core.errors import ConfigError
from referral_hub.jobs import JOBS
from webhooks.jobs import Job, job_function, jobs_register, jobs_registered, jobs_run_due
from webhooks.models import ScheduledJob

pytestmark = pytest.mark.django_db
CALLS: list[dict] = []


def counting_job(*, actor, now):  # a job for the registry to call
    CALLS.append({"actor": actor.kind, "now": now})
    return 3


def failing_job(*, actor, now):
    raise RuntimeError("boom")


def test_a_due_job_runs_once_per_interval(settings):
    settings.JOB_TEST_SECONDS = 60
    job = Job("test.counting", "tests.webhooks.test_jobs:counting_job", "JOB_TEST_SECONDS")
    CALLS.clear()
    now = timezone.now()
    assert jobs_run_due(now=now, jobs=(job,)) == {"test.counting": 3}
    assert jobs_run_due(now=now + timedelta(seconds=30), jobs=(job,)) == {}
    assert jobs_run_due(now=now + timedelta(seconds=61), jobs=(job,)) == {"test.counting": 3}
    assert [c["actor"] for c in CALLS] == ["system", "system"]
    assert ScheduledJob.objects.get(name="test.counting").last_result == 3


def test_a_job_path_that_does_not_resolve_stops_the_start(settings):
    settings.JOB_TEST_SECONDS = 60
    before = jobs_registered()
    missing = Job("test.missing", "referrals.services:no_such_function", "JOB_TEST_SECONDS")
    absent_module = Job("test.absent", "no_such_app.services:job", "JOB_TEST_SECONDS")
    no_interval = Job("test.nointerval", "tests.webhooks.test_jobs:counting_job", "JOB_NONE")
    for job in (missing, absent_module, no_interval):
        with pytest.raises(ConfigError, match=job.name):
            jobs_register(job)
        with pytest.raises(ConfigError):  # nor does the worker run it when handed one
            jobs_run_due(jobs=(job,))
    assert jobs_registered() == before
    assert not ScheduledJob.objects.filter(name__in=["test.missing", "test.absent"]).exists()


def test_the_project_registers_every_job_at_startup():
    assert jobs_registered() == JOBS
    assert {job.name for job in JOBS} == {
        "referrals.expire",
        "referrals.remind_due_soon",
        "consent.expire",
        "webhooks.prune",
        "idempotency.purge",
        "audit.checkpoint",
    }


def test_a_failing_job_does_not_stop_the_worker(settings):
    settings.JOB_TEST_SECONDS = 60
    job = Job("test.failing", "tests.webhooks.test_jobs:failing_job", "JOB_TEST_SECONDS")
    assert jobs_run_due(jobs=(job,)) == {"test.failing": None}
    assert ScheduledJob.objects.get(name="test.failing").last_error == "RuntimeError"


def test_a_zero_interval_disables_a_job(settings):
    settings.JOB_TEST_SECONDS = 0
    job = Job("test.off", "tests.webhooks.test_jobs:counting_job", "JOB_TEST_SECONDS")
    assert jobs_run_due(jobs=(job,)) == {}


def test_the_real_jobs_exist_and_run(settings, eastside):
    for job in JOBS:
        setattr(settings, job.interval_setting, 60)
        assert callable(job_function(job)), f"{job.path} is missing"
    ran = jobs_run_due(jobs=JOBS)
    assert set(ran) == {job.name for job in JOBS}
    errors = dict(ScheduledJob.objects.values_list("name", "last_error"))
    assert all(not e for e in errors.values()), errors


def test_the_worker_loop_runs_the_jobs(settings, eastside):
    from webhooks.worker import worker_tick

    for job in JOBS:
        setattr(settings, job.interval_setting, 60)
    worker_tick()
    assert set(ScheduledJob.objects.values_list("name", flat=True)) == {j.name for j in JOBS}
    worker_tick()  # not due again yet
    assert ScheduledJob.objects.filter(last_finished_at__isnull=False).count() == len(JOBS)
