"""manage.py create_agency NAME --kind KIND [--victim-service-provider]"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from agencies.models import AgencyKind
from agencies.services import agency_create
from core.actor import system_actor
from core.errors import ApplicationError


class Command(BaseCommand):
    help = "Onboard an agency (tenant)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--kind", required=True, choices=AgencyKind.values)
        parser.add_argument("--victim-service-provider", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            agency = agency_create(
                actor=system_actor("operator"),
                name=opts["name"],
                kind=opts["kind"],
                is_victim_service_provider=opts["victim_service_provider"],
            )
        except ApplicationError as exc:
            raise CommandError(exc.detail) from exc
        self.stdout.write(f"{agency.id}\t{agency.name}")
