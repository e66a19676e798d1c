from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "clients"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """A client's events belong to its agency (audit/owner.py; audit must not import us)."""
        from audit.owner import Parties, owner_register
        from clients.selectors import client_owner_row

        owner_register(
            "clients.client",
            "client",
            parties=lambda c: Parties(subject_agency_id=c.agency_id, subject_id=c.pk),
            load=client_owner_row,
        )
