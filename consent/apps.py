from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "consent"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """A consent's events belong to its client's agency, never to the recipient it names
        (audit/owner.py)."""
        from audit.owner import Parties, owner_register
        from consent.selectors import consent_owner_row

        owner_register(
            "consent.consent",
            "consent",
            parties=lambda c: Parties(subject_agency_id=c.agency_id, subject_id=c.client_id),
            load=consent_owner_row,
        )
