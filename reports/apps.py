from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Aggregate reports on referrals (no client-level data); above `referrals` in the layering."""

    name = "reports"
    default_auto_field = "django.db.models.BigAutoField"
