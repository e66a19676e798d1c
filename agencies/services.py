"""Writes for agencies and their directory programs."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from agencies.models import Agency, AgencyKind, Program
from audit.services import audit_record
from core.actor import Actor
from core.errors import PermissionDenied, ValidationFailed

PROGRAM_FIELDS = {
    "name",
    "service_type",
    "description",
    "languages",
    "eligibility",
    "capacity_status",
    "response_days",
}


@transaction.atomic
def agency_create(
    *, actor: Actor, name: str, kind: str, is_victim_service_provider: bool = False
) -> Agency:
    if kind not in AgencyKind.values:
        raise ValidationFailed(f"Unknown kind; choose one of {', '.join(AgencyKind.values)}.")
    if Agency.objects.filter(name=name).exists():
        raise ValidationFailed("An agency with that name exists.", field="name")
    agency = Agency.objects.create(
        name=name, kind=kind, is_victim_service_provider=is_victim_service_provider
    )
    audit_record(actor=actor, action="agency.create", target=agency, target_agency_id=agency.id)
    return agency


def _own(actor: Actor, agency: Agency) -> None:
    if actor.agency_id != agency.id:
        raise PermissionDenied("You can only change your own agency's programs.")


@transaction.atomic
def program_create(*, actor: Actor, agency: Agency, **fields: Any) -> Program:
    _own(actor, agency)
    unknown = set(fields) - PROGRAM_FIELDS
    if unknown:
        raise ValidationFailed(f"Unknown fields: {', '.join(sorted(unknown))}.")
    if Program.objects.filter(agency=agency, name=fields.get("name")).exists():
        raise ValidationFailed("This agency already lists a program with that name.", field="name")
    program = Program.objects.create(agency=agency, capacity_updated_at=timezone.now(), **fields)
    audit_record(actor=actor, action="program.create", target=program, target_agency_id=agency.id)
    return program


@transaction.atomic
def program_update(*, actor: Actor, program: Program, **fields: Any) -> Program:
    """Update a program; changing capacity stamps `capacity_updated_at`."""
    _own(actor, program.agency)
    unknown = set(fields) - PROGRAM_FIELDS
    if unknown:
        raise ValidationFailed(f"Unknown fields: {', '.join(sorted(unknown))}.")
    program = Program.objects.select_for_update().get(pk=program.pk)
    for name, value in fields.items():
        setattr(program, name, value)
    changed = list(fields)
    if "capacity_status" in fields:
        program.capacity_updated_at = timezone.now()
        changed.append("capacity_updated_at")
    program.save(update_fields=[*changed, "updated_at"])
    audit_record(
        actor=actor, action="program.update", target=program, target_agency_id=program.agency_id
    )
    return program
