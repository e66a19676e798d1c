"""The scheduled jobs (they span apps, so the project lists them): name, path, interval setting.

Registered with `webhooks.jobs` at startup (`ReferralHubConfig.ready`); the worker loop runs
them. Every path must resolve or the process refuses to start.
"""

from __future__ import annotations

from webhooks.jobs import Job

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
    Job("idempotency.purge", "core.idempotency:idempotency_purge", "JOB_IDEMPOTENCY_PURGE_SECONDS"),
    Job(
        "audit.checkpoint",
        "audit.checkpoints:checkpoint_all",
        "JOB_AUDIT_CHECKPOINT_SECONDS",
        passes_now=False,
    ),
)
