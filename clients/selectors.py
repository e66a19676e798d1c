"""The one way to read client rows: scoped to the actor's own agency (others get 404).

Every caller names what it needs the client for (`READ`, `WRITE`, `CONSENT`, `REFER`,
`ACCOUNTING`): that decides which roles or integration scope may reach the row, and whether
the row comes with its encrypted columns and its wrapped data key. No other module queries
`Client` (a test enforces it), except the system jobs it names.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import QuerySet

from clients.fields import COLUMNS
from clients.models import Client
from core.actor import Actor
from core.errors import NotFound
from core.joined import Joined
from core.roles import CASE_ROLES, Role, Scope


@dataclass(frozen=True)
class Need:
    """Why a caller reaches a client: who may (users in `roles`, integrations with `scope`),
    and what comes with the row (`fields`: the encrypted columns; `key`: the wrapped DEK)."""

    roles: frozenset[str]
    scope: str
    fields: bool = True
    key: bool = True


READ = Need(CASE_ROLES, Scope.CLIENTS_READ)
WRITE = Need(CASE_ROLES, Scope.CLIENTS_WRITE)
# Record consent: seals the purpose detail (the key), never reads the fields.
CONSENT = Need(CASE_ROLES, Scope.CONSENT_WRITE, fields=False)
# Send a referral about the client: seals the reason (the key), never reads the fields.
REFER = Need(CASE_ROLES, Scope.REFERRALS_WRITE, fields=False)
# The accounting of disclosures: compliance officers too, and nothing that could hold PII.
ACCOUNTING_ROLES = frozenset({*CASE_ROLES, Role.COMPLIANCE_OFFICER})
ACCOUNTING = Need(ACCOUNTING_ROLES, Scope.AUDIT_READ, fields=False, key=False)


def client_qs_for(actor: Actor, *, need: Need = READ) -> QuerySet[Client]:
    """Clients of the actor's own agency, if the actor may reach them for `need`; else none."""
    if actor.agency_id is None or not actor.may(roles=need.roles, scope=need.scope):
        return Client.objects.none()
    rows = Client.objects.filter(agency_id=actor.agency_id)
    if need.key:
        # The wrapped data key comes along: one query instead of two for a decrypting read.
        rows = rows.select_related("data_key")
    return rows if need.fields else rows.defer(*COLUMNS, "search_index", "name_index")


def client_get_for(*, actor: Actor, client_id: uuid.UUID, need: Need = READ) -> Client:
    """One client of the actor's agency; missing and not-yours are the same 404.

    The same row `client_qs_for` would give, in one statement built once from the model
    (`core.joined`: no per-request query compilation).
    """
    if actor.agency_id is None or not actor.may(roles=need.roles, scope=need.scope):
        raise NotFound()
    found = _one(need).fetch(client_id, actor.agency_id)
    if found is None:
        raise NotFound()
    return found  # type: ignore[no-any-return]


_ONE: dict[tuple[bool, bool], Joined] = {}


def _one(need: Need) -> Joined:
    """The primary-key lookup for what `need` brings along (the fields, the wrapped key)."""
    shape = (need.fields, need.key)
    if shape not in _ONE:
        _ONE[shape] = Joined(
            Client,
            *(("data_key",) if need.key else ()),
            where=("pk", "agency"),
            defer=None if need.fields else {"": (*COLUMNS, "search_index", "name_index")},
        )
    return _ONE[shape]


def client_locked(*, client: Client, with_key: bool = False) -> Client:
    """The row of a client already scoped (or named by a system actor), locked until commit."""
    rows = Client.objects.select_for_update(of=("self",))
    return (rows.select_related("data_key") if with_key else rows).get(pk=client.pk)


def client_owner_row(client_id: uuid.UUID, using: str) -> Client | None:
    """Unscoped, for the audit trail's owner rules only (audit/owner.py): the id and the agency
    of a client, no sealed column, on the audit's connection."""
    return Client.objects.using(using).only("id", "agency_id").filter(pk=client_id).first()


def clients_without_name_index(*, batch: int) -> list[Client]:
    """For the operator's reindex job only (`clients.services.clients_name_index_fill`, system
    actor): live clients of every agency whose names-only index is not set yet, with keys."""
    rows = Client.objects.select_related("data_key").filter(
        name_index__isnull=True, erased_at__isnull=True
    )
    return list(rows.order_by("pk")[:batch])
