from django.apps import AppConfig


class ReferralHubConfig(AppConfig):
    """The project as an app (last in INSTALLED_APPS): cross-app commands, jobs, demo data."""

    name = "referral_hub"
    verbose_name = "referral-hub"

    def ready(self) -> None:
        """Register the scheduled jobs; a job path that does not resolve stops the start."""
        from referral_hub.jobs import JOBS
        from webhooks.jobs import jobs_register

        jobs_register(*JOBS)
