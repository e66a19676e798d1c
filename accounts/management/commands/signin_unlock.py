"""manage.py signin_unlock [USERNAME] [--address IP]: forget failed sign-ins (audited).

With a username, that account's failures from every address are forgotten; with `--address`,
the address's own failure budget too.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.limits import signin_unlock
from audit.services import audit_record
from core.actor import system_actor


class Command(BaseCommand):
    help = "Lift the sign-in slow-down of an account (every address) and/or one address."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", nargs="?")
        parser.add_argument("--address", help="client address whose failure budget to reset")

    def handle(self, *args: Any, **opts: Any) -> None:
        username, address = opts["username"], opts["address"]
        if not username and not address:
            raise CommandError("Name a USERNAME, an --address, or both.")
        signin_unlock(username=username, ip=address)
        audit_record(
            actor=system_actor("operator"),
            action="auth.unlock",
            target=("accounts.user", username) if username else None,
            reason="address" if address else "",
        )
        self.stdout.write(f"unlocked {username or ''} {address or ''}".strip())
