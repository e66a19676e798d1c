"""manage.py create_integration NAME --agency NAME --scopes clients:read,referrals:read"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.integrations import integration_create
from accounts.management.commands.create_user import find_agency
from core.actor import system_actor
from core.errors import ApplicationError


class Command(BaseCommand):
    help = "Register a partner integration. Prints the client secret once; store it now."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--agency", required=True)
        parser.add_argument("--scopes", required=True, help="comma-separated scopes")

    def handle(self, *args: Any, **opts: Any) -> None:
        agency = find_agency(opts["agency"])
        scopes = [s.strip() for s in opts["scopes"].split(",") if s.strip()]
        try:
            integration, secret = integration_create(
                actor=system_actor("operator"), agency=agency, name=opts["name"], scopes=scopes
            )
        except ApplicationError as exc:
            raise CommandError(exc.detail) from exc
        self.stdout.write(f"client_id={integration.client_id}")
        self.stdout.write(f"client_secret={secret}")
        self.stderr.write("The secret is shown once and cannot be recovered.")
