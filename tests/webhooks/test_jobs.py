"""Scheduled jobs: the registry calls each job once per interval and survives missing ones."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from webhooks.jobs import JOBS, Job, job_function, jobs_run_due
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


def test_a_missing_job_is_logged_and_skipped(settings, caplog):
    settings.JOB_TEST_SECONDS = 60
    missing = Job("test.missing", "referrals.services:no_such_function", "JOB_TEST_SECONDS")
    absent_module = Job("test.absent", "no_such_app.services:job", "JOB_TEST_SECONDS")
    assert jobs_run_due(jobs=(missing, absent_module)) == {
        "test.missing": None,
        "test.absent": None,
    }
    assert "scheduled job unavailable" in caplog.text


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
        assert job_function(job) is not None, f"{job.path} is missing"
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
