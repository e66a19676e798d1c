"""`manage.py audit_harden_db --app-role ROLE`: leave ROLE with INSERT/SELECT on audit tables."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections, transaction

from audit.hardening import HardeningError, harden


class Command(BaseCommand):
    help = (
        "PostgreSQL only. Revoke UPDATE/DELETE/TRUNCATE on the audit tables from the "
        "application role (which must not own them) and grant it INSERT and SELECT only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--app-role", required=True, help="the role the API connects as")
        parser.add_argument(
            "--grant-app-tables",
            action="store_true",
            help="also grant SELECT/INSERT/UPDATE/DELETE on every other table of the schema",
        )
        parser.add_argument("--print-sql", action="store_true", help="print, do not run")
        parser.add_argument("--database", default="default")

    def handle(self, *args: Any, **options: Any) -> None:
        connection = connections[options["database"]]
        try:
            with transaction.atomic(using=options["database"]):
                statements = harden(
                    connection,
                    options["app_role"],
                    grant_app_tables=options["grant_app_tables"],
                    dry_run=options["print_sql"],
                )
        except HardeningError as exc:
            raise CommandError(str(exc)) from exc
        for statement in statements:
            self.stdout.write(statement + ";")
        if not options["print_sql"]:
            self.stdout.write(f"hardened: {options['app_role']} may only INSERT/SELECT audit rows")
