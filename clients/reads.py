"""Audited reads of client fields by the owning agency (detail, list page, search)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from audit.services import audit_record
from clients.categories import ALL_CATEGORIES, Category
from clients.decrypt import client_fields
from clients.models import Client
from clients.search import name_index_for, same_name, same_person, search_index_for
from clients.selectors import READ, client_qs_for
from core.actor import Actor
from crypto.scope import key_scope

SEARCH_LIMIT = 20


def client_read(*, actor: Actor, client: Client) -> dict[str, dict[str, object]]:
    """Every category of one client (or {} once erased); audited as `client.read`."""
    with key_scope():
        fields = client_fields(client=client, categories=ALL_CATEGORIES, actor=actor)
    audit_record(
        actor=actor,
        action="client.read",
        target=client,
        subject_id=client.pk,
        target_agency_id=client.agency_id,
        categories=list(fields),
        reason="erased" if client.erased_at else "",
    )
    return fields


def client_read_back(*, actor: Actor, client: Client, echo: bool = False) -> dict[str, Any]:
    """The client's fields after a write: {} for a write-only integration; else every category,
    audited as `client.read`, unless it only `echo`es what the caller just wrote (the write's
    own event covers that)."""
    if not actor.may(roles=READ.roles, scope=READ.scope):
        return {}
    if echo:
        with key_scope():
            return client_fields(client=client, categories=ALL_CATEGORIES, actor=actor)
    return client_read(actor=actor, client=client)


def client_identities(*, actor: Actor, clients: Sequence[Client]) -> dict[Any, dict[str, object]]:
    """{client id: identity fields} for one list page; one `client.list` audit event."""
    with key_scope():
        out = {
            c.pk: client_fields(client=c, categories=[Category.IDENTITY], actor=actor).get(
                Category.IDENTITY, {}
            )
            for c in clients
        }
    audit_record(
        actor=actor,
        action="client.list",
        target=("clients.client", ""),
        categories=[Category.IDENTITY] if clients else [],
        reason=f"count={len(clients)}",
    )
    return out


def client_search(
    *,
    actor: Actor,
    given_name: str,
    family_name: str,
    date_of_birth: datetime.date | None = None,
) -> list[tuple[Client, dict[str, object]]]:
    """Exact (normalised) matches within the actor's agency only: name + date of birth, or,
    without a date of birth, the names alone (every record with those names, whatever its
    date of birth). Audited as `client.search` (`by=name` for the names-only check)."""
    wanted: dict[str, str] = {"given_name": given_name, "family_name": family_name}
    if date_of_birth is not None:
        wanted["date_of_birth"] = date_of_birth.isoformat()
    matches: list[tuple[Client, dict[str, object]]] = []
    qs = client_qs_for(actor)
    if actor.agency_id is not None:
        with key_scope():
            if date_of_birth is not None:
                index = search_index_for(agency_id=actor.agency_id, **wanted)
                candidates = qs.filter(search_index=index, erased_at__isnull=True)
                same: Any = same_person
            else:
                index = name_index_for(agency_id=actor.agency_id, **wanted)
                candidates = qs.filter(name_index=index, erased_at__isnull=True)
                same = same_name
            for candidate in candidates[:200] if index else []:
                identity = client_fields(
                    client=candidate, categories=[Category.IDENTITY], actor=actor
                )
                if same(identity[Category.IDENTITY], wanted):
                    matches.append((candidate, identity[Category.IDENTITY]))
    by = "" if date_of_birth is not None else ",by=name"
    audit_record(
        actor=actor,
        action="client.search",
        target=("clients.client", ""),
        categories=[Category.IDENTITY],
        reason=f"matches={len(matches[:SEARCH_LIMIT])}{by}",
    )
    return matches[:SEARCH_LIMIT]
