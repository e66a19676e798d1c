"""Whose data an audit event touches: the rules, in one place (DESIGN §6, "Owner visibility").

Every event names up to three agencies:

* `actor_agency_id`: who acted (the event's chain);
* `subject_agency_id`: who OWNS the data, i.e. the client's agency (for a referral: the sender's,
  since a referral is always about one of the sender's clients);
* `shared_agency_id`: the recipient of a referral that was actually sent (not a draft), on the
  events about that referral it may know of.

`target_agency_id` stays what it was: the other agency the event names (a consent's recipient,
the reader of a disclosure, the recipient a refused referral was addressed to). It widens
nobody's view: naming an agency is not sharing with it.

An agency's auditors see the events it did, the events on its data (by anyone, refusals
included) and the events about referrals sent to it (see `audit.selectors.visible_to`).

`audit` sits below the apps that own data, so it never imports them: each registers how to read
the parties off its rows here (`owner_register`, from its `AppConfig.ready`), the way
`clients/recipients.py` works. Callers of `audit_record` pass nothing extra: the parties are
derived from the target (and from `subject_id`, the client an event is about).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, models

from core.actor import Actor

CLIENT = "clients.client"


@dataclass(frozen=True)
class Parties:
    subject_agency_id: uuid.UUID | None = None
    shared_agency_id: uuid.UUID | None = None
    subject_id: Any = None  # the client the row is about, if it names one


@dataclass(frozen=True)
class _Owner:
    parties: Callable[[Any], Parties]  # parties(row)
    load: Callable[[Any, str], Any] | None  # load(object id, connection alias) -> row | None


_owners: dict[str, _Owner] = {}


def owner_register(
    *names: str,
    parties: Callable[[Any], Parties],
    load: Callable[[Any, str], Any] | None = None,
) -> None:
    """Register how to read the parties off a row of type `names` (model label first, then the
    short names routes use, e.g. `"referrals.referral", "referral"`). `load` fetches a row by
    id, unscoped and without survivor columns, for targets named by id only (denials)."""
    for name in names:
        _owners[name] = _Owner(parties=parties, load=load)


def owners_registered() -> tuple[str, ...]:
    return tuple(_owners)


def _uuid(value: Any) -> uuid.UUID | None:
    if value is None or value == "":
        return None
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


def _by_id(name: str, object_id: Any, using: str) -> Parties | None:
    """Parties of the row `name`/`object_id`; None if the type is not registered."""
    owner = _owners.get(name)
    if owner is None:
        return None
    key = _uuid(object_id)
    if owner.load is None or key is None:
        return Parties()
    try:
        row = owner.load(key, using)
    except (DatabaseError, ValidationError, ValueError):
        return Parties()  # an unreadable id names nobody's data
    return owner.parties(row) if row is not None else Parties()


def parties_of(target: Any, *, using: str = "default") -> tuple[Parties, bool]:
    """(parties, is a registered data type) of an event's target: a row or `(type, id)`."""
    if target is None:
        return Parties(), False
    if isinstance(target, tuple):
        found = _by_id(str(target[0]), target[1], using)
        return (found, True) if found is not None else (Parties(), False)
    assert isinstance(target, models.Model)
    owner = _owners.get(target._meta.label_lower)
    if owner is not None:
        return owner.parties(target), True
    agency_id = getattr(target, "agency_id", None)  # a row of one agency: user, program, ...
    return Parties(subject_agency_id=_uuid(agency_id)), False


@dataclass(frozen=True)
class Owned:
    subject_id: Any
    subject_agency_id: uuid.UUID | None
    shared_agency_id: uuid.UUID | None
    # A refused attempt on another agency's data: the owner's copy of the event (see `owned`).
    owner_copy: Owned | None = None


def owned(
    *,
    actor: Actor,
    target: Any,
    subject_id: Any,
    subject_agency_id: uuid.UUID | None,
    shared_agency_id: uuid.UUID | None,
    target_agency_id: uuid.UUID | None,
    outcome: str,
    using: str = "default",
) -> Owned:
    """The owner and the sharing of one event (explicit values win over derived ones).

    1. The owner is the target's (a client's agency, a referral's sender, a user's agency...);
       else the agency of the client `subject_id` names (a refused probe by client id);
    2. an event about no client and no registered data type (an account, a key, a webhook
       subscription, an agency) belongs to the agency it names (`target_agency_id`);
    3. the recipient of a sent referral shares the referral's events, except refusals of
       anyone but itself (the sender's refused attempts stay the sender's business);
    4. a refusal of an agency's attempt on data it neither owns nor shares (a probe of another
       agency's client or referral id) must not tell the prober's auditors whose data it was,
       or even that it exists (tenancy: a 404 reveals nothing). So the prober's event keeps
       only what the caller named (no owner, no derived client), and the owner gets its own
       copy, with the owner fields, on the `platform` chain (`owner_copy`).
    """
    parties, registered = parties_of(target, using=using)
    subject = subject_id if subject_id not in (None, "") else parties.subject_id
    owner = subject_agency_id or parties.subject_agency_id
    if owner is None and subject not in (None, ""):
        owner = client_owner(subject, using=using)
    if owner is None and subject in (None, "") and not registered:
        owner = target_agency_id
    shared = shared_agency_id or parties.shared_agency_id
    if outcome != "allow" and shared != actor.agency_id:
        shared = None
    if shared == owner:
        shared = None
    full = Owned(subject_id=subject, subject_agency_id=owner, shared_agency_id=shared)
    foreign = actor.agency_id is not None and actor.agency_id not in (owner, shared)
    if outcome == "allow" or owner is None or not foreign:
        return full
    named = subject_id if subject_id not in (None, "") else None
    return Owned(subject_id=named, subject_agency_id=None, shared_agency_id=None, owner_copy=full)


def client_owner(client_id: Any, *, using: str = "default") -> uuid.UUID | None:
    """The agency of client `client_id` (unscoped: for pseudonyms and owners only), or None."""
    return (_by_id(CLIENT, client_id, using) or Parties()).subject_agency_id
