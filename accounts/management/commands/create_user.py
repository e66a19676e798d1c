"""manage.py create_user USERNAME --agency NAME --role ROLE  (password read from stdin)"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.users import user_create
from agencies.models import Agency
from core.actor import system_actor
from core.errors import ApplicationError
from core.roles import Role


class Command(BaseCommand):
    help = "Create a user in an agency. The password is read from standard input."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--agency", required=True, help="agency name or id")
        parser.add_argument("--role", required=True, choices=Role.values)

    def handle(self, *args: Any, **opts: Any) -> None:
        agency = find_agency(opts["agency"])
        password = sys.stdin.readline().rstrip("\n")
        if not password:
            raise CommandError('Pipe the password on standard input, e.g. `printf %s "$PW" | ...`.')
        try:
            user = user_create(
                actor=system_actor("operator"),
                agency=agency,
                username=opts["username"],
                password=password,
                role=opts["role"],
            )
        except ApplicationError as exc:
            raise CommandError(exc.detail) from exc
        self.stdout.write(f"{user.id}\t{user.username}\t{user.role}\t{agency.name}")


def find_agency(name_or_id: str) -> Agency:
    agency = Agency.objects.filter(name=name_or_id).first()
    if agency is None:
        try:
            agency = Agency.objects.filter(pk=name_or_id).first()
        except Exception:
            agency = None
    if agency is None:
        raise CommandError(f"No agency named {name_or_id!r}; create it with create_agency.")
    return agency
