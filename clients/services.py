"""Writes to client records: create, update, erase. Each one is transactional and audited."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from clients.decrypt import category_values, client_fields
from clients.fields import COLUMNS, SPECS_BY_CATEGORY, TABLE, column_of, encode
from clients.models import Client
from clients.recipients import recipients_of
from clients.search import name_index_for, search_index_for
from clients.selectors import client_locked, clients_without_name_index
from core.actor import Actor
from core.errors import NotFound, PermissionDenied, ValidationFailed
from core.roles import CASE_ROLES, Role, Scope
from crypto.datakeys import dek_destroy, dek_new
from crypto.errors import ClientErased
from crypto.scope import key_scope
from crypto.service import seal
from webhooks.services import outbox_emit

IDENTITY_KEYS = ("given_name", "family_name", "date_of_birth")
NAMES = ("given_name", "family_name")  # required on create, never cleared by an update


def _check_shape(data: dict[str, Any]) -> None:
    """Reject unknown categories or fields (the API validates too; seeding and scripts do not)."""
    for category, values in data.items():
        specs = SPECS_BY_CATEGORY.get(category)
        if specs is None or not isinstance(values, dict):
            raise ValidationFailed("Unknown data category.", field=str(category))
        unknown = set(values) - {s.name for s in specs}
        if unknown:
            raise ValidationFailed("Unknown field.", field=f"{category}.{sorted(unknown)[0]}")


def _invalid(message: str, fields: list[str]) -> ValidationFailed:
    errors = [{"field": f, "message": message, "code": "invalid"} for f in fields]
    return ValidationFailed("The request body is not valid.", errors=errors)


def _check_names(data: dict[str, Any], *, creating: bool) -> None:
    """A client always has a given and a family name: required on create, never cleared."""
    identity = data.get("identity") or {}
    if creating:
        missing = [k for k in NAMES if not identity.get(k)]
        if missing:
            raise _invalid("This field is required.", [f"identity.{k}" for k in missing])
        return
    if not data:
        raise _invalid("Send at least one category.", [""])
    cleared = [k for k in NAMES if k in identity and not identity[k]]
    if cleared:
        raise _invalid("A client's name cannot be removed.", [f"identity.{k}" for k in cleared])


def _owning_agency(actor: Actor, agency: Any) -> uuid.UUID:
    if actor.kind == "system":
        if agency is None:
            raise ValidationFailed("A system actor must name the owning agency.", field="agency")
        return agency.pk  # type: ignore[no-any-return]
    if actor.agency_id is None or not actor.may(roles=CASE_ROLES, scope=Scope.CLIENTS_WRITE):
        raise PermissionDenied()
    if agency is not None and agency.pk != actor.agency_id:
        raise NotFound()
    return actor.agency_id


def _check_writer(actor: Actor, client: Client) -> None:
    if actor.kind == "system":
        return
    if not actor.may(roles=CASE_ROLES, scope=Scope.CLIENTS_WRITE):
        raise PermissionDenied()
    if client.agency_id != actor.agency_id:
        raise NotFound()


def _seal_into(client: Client, data: dict[str, Any], *, existing: bool) -> list[str]:
    """Encrypt the given categories onto the instance (merged with what is stored); return the
    columns changed."""
    changed = []
    for category, values in data.items():
        specs = {s.name: s for s in SPECS_BY_CATEGORY[category]}
        merged = category_values(client, category) if existing else {}
        merged.update({name: specs[name].stored(value) for name, value in values.items()})
        blob = seal(
            client=client, table=TABLE, column=category, row_id=client.pk, value=encode(merged)
        )
        setattr(client, column_of(category), blob)
        changed.append(column_of(category))
    return changed


def _reindex(client: Client, identity: dict[str, Any]) -> None:
    client.search_index = search_index_for(
        agency_id=client.agency_id, **{k: identity.get(k) for k in IDENTITY_KEYS}
    )
    client.name_index = name_index_for(
        agency_id=client.agency_id,
        given_name=identity.get("given_name"),
        family_name=identity.get("family_name"),
    )


@transaction.atomic
def client_create(*, actor: Actor, agency: Any = None, data: dict[str, Any]) -> Client:
    """Create a client of the actor's agency with its own data key; every value encrypted."""
    _check_shape(data)
    _check_names(data, creating=True)
    client = Client(
        id=uuid.uuid4(), agency_id=_owning_agency(actor, agency), created_by_id=actor.user_id
    )
    with key_scope():
        data_key = dek_new(client=client)
        _seal_into(client, data, existing=False)
        _reindex(client, dict(data.get("identity", {})))
        client.save(force_insert=True)
        data_key.save(force_insert=True)
    client.data_key = data_key
    audit_record(
        actor=actor,
        action="client.create",
        target=client,
        subject_id=client.pk,
        target_agency_id=client.agency_id,
        categories=[c for c in data if data[c]],
    )
    return client


@transaction.atomic
def client_update(*, actor: Actor, client: Client, data: dict[str, Any]) -> Client:
    """Change the given fields (None or "" clears one, except the names); others stay."""
    _check_shape(data)
    _check_names(data, creating=False)
    _check_writer(actor, client)
    locked = client_locked(client=client, with_key=True)
    if locked.erased_at is not None:
        raise ClientErased()
    with key_scope():
        changed = _seal_into(locked, data, existing=True)
        if "identity" in data:
            _reindex(locked, client_fields(client=locked, categories=["identity"])["identity"])
            changed += ["search_index", "name_index"]
        locked.save(update_fields=[*changed, "updated_at"])
    audit_record(
        actor=actor,
        action="client.update",
        target=locked,
        subject_id=locked.pk,
        target_agency_id=locked.agency_id,
        categories=[c for c in data if data[c]],
    )
    return locked


@transaction.atomic
def client_erase(*, actor: Actor, client: Client) -> Client:
    """Crypto-shred a client: destroy its DEK, drop every ciphertext and the blind index.

    Irreversible. Anything sealed under the client's key elsewhere (referral reasons,
    messages) becomes unreadable too. The audit trail keeps only pseudonymous references.
    """
    if actor.kind != "system" and not actor.has_role(Role.SUPERVISOR):
        raise PermissionDenied("Only a supervisor may erase a client.")
    _check_writer(actor, client)
    locked = client_locked(client=client)
    if locked.erased_at is None:
        for column in COLUMNS:
            setattr(locked, column, None)
        locked.search_index = locked.name_index = None
        locked.erased_at = timezone.now()
        locked.save(
            update_fields=[*COLUMNS, "search_index", "name_index", "erased_at", "updated_at"]
        )
        dek_destroy(client=locked)
        _notify_erasure(locked)
        audit_record(
            actor=actor,
            action="client.erase",
            target=locked,
            subject_id=locked.pk,
            target_agency_id=locked.agency_id,
        )
    return locked


def _notify_erasure(client: Client) -> None:
    """Tell each agency that received a referral about this client to purge its copies."""
    for agency_id, referral_ids in recipients_of(client=client).items():
        outbox_emit(
            type="client.erased",
            agency_ids=[agency_id],
            data={"client_id": client.pk, "referral_ids": referral_ids},
        )


def clients_name_index_fill(*, actor: Actor, batch: int = 500) -> int:
    """Fill `name_index` for clients recorded before it existed (names from their identity);
    idempotent, batched, one `client.reindex` audit event. Returns how many were filled."""
    if actor.kind != "system":
        raise PermissionDenied("Only the operator may rebuild the search indexes.")
    filled = 0
    while True:
        with transaction.atomic(), key_scope():
            rows = clients_without_name_index(batch=batch)
            done = 0
            for client in rows:
                identity = client_fields(client=client, categories=["identity"]).get("identity")
                _reindex(client, dict(identity or {}))
                if client.name_index is None:  # no names: nothing to index, never retried
                    continue
                client.save(update_fields=["search_index", "name_index"])
                done += 1
        filled += done
        if done == 0 or len(rows) < batch:
            break
    audit_record(
        actor=actor,
        action="client.reindex",
        target=("clients.client", ""),
        reason=f"name_index={filled}",
    )
    return filled
