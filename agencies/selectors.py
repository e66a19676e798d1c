"""Reads of the agency directory (visible to every authenticated caller).

`program_search` is the one directory query: the API's `GET /programs/` and the console's
program chooser both call it with plain parameters.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from agencies.models import Agency, CapacityStatus, Program
from core.actor import Actor
from core.errors import INVALID_RECIPIENT, NotFound, ValidationFailed


def agency_directory() -> QuerySet[Agency]:
    """Active agencies with their programs (two queries for any page size)."""
    return Agency.objects.filter(is_active=True).prefetch_related(
        Prefetch("programs", queryset=Program.objects.order_by("name"))
    )


def agency_get(*, agency_id: uuid.UUID, with_programs: bool = True) -> Agency:
    """An active agency (with its programs prefetched for the directory view), else 404."""
    agencies = agency_directory() if with_programs else Agency.objects.filter(is_active=True)
    agency = agencies.filter(pk=agency_id).first()
    if agency is None:
        raise NotFound()
    return agency


def recipient_agency_get(*, agency_id: uuid.UUID, sender_agency_id: uuid.UUID | None) -> Agency:
    """The agency a consent or a referral names as recipient: another active agency, else 400
    `invalid_recipient` on `recipient_agency_id` (the one rule for both resources)."""
    agency = Agency.objects.filter(pk=agency_id, is_active=True).first()
    if agency is None or agency.pk == sender_agency_id:
        raise ValidationFailed(
            "The recipient must be another active agency.",
            field="recipient_agency_id",
            code=INVALID_RECIPIENT,
        )
    return agency


def accepting_q() -> Q:
    """Programs that take referrals now: open to them and not full."""
    return Q(accepting_referrals=True) & ~Q(capacity_status=CapacityStatus.FULL)


def program_search(
    *,
    service_type: str | None = None,
    language: str | None = None,
    capacity_status: str | None = None,
    accepting: bool | None = None,
    agency_kind: str | None = None,
    agency_id: uuid.UUID | None = None,
    verified_within_days: int | None = None,
    now: datetime | None = None,
) -> QuerySet[Program]:
    """Programs of active agencies matching every filter given (None: no filter), by name.

    `verified_within_days`: a person confirmed the entry (`assured_at`) that recently.
    One query, with the agency joined.
    """
    qs = Program.objects.filter(agency__is_active=True).select_related("agency")
    if service_type:
        qs = qs.filter(service_type=service_type)
    if language:
        qs = qs.filter(languages__has_element=language.lower())
    if capacity_status:
        qs = qs.filter(capacity_status=capacity_status)
    if accepting is not None:
        qs = qs.filter(accepting_q()) if accepting else qs.exclude(accepting_q())
    if agency_kind:
        qs = qs.filter(agency__kind=agency_kind)
    if agency_id:
        qs = qs.filter(agency_id=agency_id)
    if verified_within_days is not None:
        since = (now or timezone.now()) - timedelta(days=verified_within_days)
        qs = qs.filter(assured_at__gte=since)
    return qs.order_by("name", "id")


def program_get(*, program_id: uuid.UUID) -> Program:
    """A program of an active agency (directory data), else 404."""
    program = program_search().filter(pk=program_id).first()
    if program is None:
        raise NotFound()
    return program


def program_own(*, actor: Actor, program_id: uuid.UUID) -> Program:
    """A program of the actor's own (active) agency, else 404: for writes."""
    if actor.agency_id is None:
        raise NotFound()
    program = program_search(agency_id=actor.agency_id).filter(pk=program_id).first()
    if program is None:
        raise NotFound()
    return program


def program_get_for(*, actor: Actor, agency_id: uuid.UUID, program_id: uuid.UUID) -> Program:
    """A program of the actor's own agency, named under that agency's path, else 404."""
    if agency_id != actor.agency_id:
        raise NotFound()
    return program_own(actor=actor, program_id=program_id)


def is_stale(when: datetime | None, *, days: int, now: datetime | None = None) -> bool:
    """Never confirmed, or confirmed longer than `days` ago."""
    return when is None or when < (now or timezone.now()) - timedelta(days=days)


def entry_stale(program: Program, now: datetime | None = None) -> bool:
    """No person has confirmed the entry within DIRECTORY_ASSURED_STALE_DAYS."""
    return is_stale(program.assured_at, days=settings.DIRECTORY_ASSURED_STALE_DAYS, now=now)


def capacity_stale(program: Program, now: datetime | None = None) -> bool:
    """Capacity not reported within DIRECTORY_CAPACITY_STALE_DAYS."""
    return is_stale(
        program.capacity_updated_at, days=settings.DIRECTORY_CAPACITY_STALE_DAYS, now=now
    )
