from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Tell the lower apps who holds a client's data (they must not import referrals)."""
        from clients.recipients import recipients_register
        from referrals.recipients import recipients_of

        recipients_register(recipients_of)
