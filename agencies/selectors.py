"""Reads of the agency directory (visible to every authenticated caller)."""

from __future__ import annotations

import uuid

from django.db.models import Prefetch, QuerySet

from agencies.models import Agency, Program
from core.actor import Actor
from core.errors import NotFound


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


def program_get_for(*, actor: Actor, agency_id: uuid.UUID, program_id: uuid.UUID) -> Program:
    """A program of the actor's own agency, else 404."""
    if agency_id != actor.agency_id:
        raise NotFound()
    program = Program.objects.filter(pk=program_id, agency_id=actor.agency_id).first()
    if program is None or actor.agency_id is None:
        raise NotFound()
    return program
