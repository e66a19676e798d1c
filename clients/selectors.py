"""The one way to read client rows: scoped to the actor's own agency (others get 404)."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from clients.models import Client
from core.actor import Actor
from core.errors import NotFound
from core.roles import CASE_ROLES, Scope


def client_qs_for(actor: Actor, *, write: bool = False) -> QuerySet[Client]:
    """Clients the actor may see: its own agency's, for case roles or scoped integrations."""
    scope = Scope.CLIENTS_WRITE if write else Scope.CLIENTS_READ
    if actor.agency_id is None or not actor.may(roles=CASE_ROLES, scope=scope):
        return Client.objects.none()
    return Client.objects.filter(agency_id=actor.agency_id)


def with_data_key(qs: QuerySet[Client]) -> QuerySet[Client]:
    """Join the wrapped data key (one query instead of two for decrypting reads)."""
    return qs.select_related("data_key")


def client_get_for(*, actor: Actor, client_id: uuid.UUID, write: bool = False) -> Client:
    """One client of the actor's agency; missing and not-yours are the same 404."""
    # The wrapped data key comes along (one query instead of two for every decrypting read);
    # a plain LIMIT 1 on the primary key (no ORDER BY as `.first()` would add).
    found = list(with_data_key(client_qs_for(actor, write=write)).filter(pk=client_id)[:1])
    if not found:
        raise NotFound()
    return found[0]
