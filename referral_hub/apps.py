from django.apps import AppConfig


class ReferralHubConfig(AppConfig):
    """The project as an app (last in INSTALLED_APPS): cross-app commands, jobs, demo data."""

    name = "referral_hub"
    verbose_name = "referral-hub"
