from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Tell the lower apps who holds a client's data (they must not import referrals)."""
        from audit.owner import owner_register
        from clients.recipients import recipients_register
        from referrals.recipients import recipients_of
        from referrals.trail import message_parties, referral_owner_row, referral_parties

        recipients_register(recipients_of)
        owner_register(
            "referrals.referral", "referral", parties=referral_parties, load=referral_owner_row
        )
        owner_register("referrals.referralmessage", parties=message_parties)
