"""Writes for agencies and their directory programs.

Capacity changes go through `program_capacity_set` (the admin's PATCH and a partner system's
`directory:write` report alike): stamped, audited, and published as `program.capacity_changed`.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.utils import timezone

from agencies.events import publish
from agencies.models import Agency, AgencyKind, CapacityStatus, Program
from agencies.taxonomy import ServiceType
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
    "accepting_referrals",
    "max_household_size",
    "response_days",
}
CAPACITY_FIELDS = ("capacity_status", "accepting_referrals")
# A BCP 47 language tag, lowercased: "es", "en", "zh-hant", "sgn-us".
LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")


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


def language_tags(values: list[str]) -> list[str]:
    """Lowercased, de-duplicated BCP 47 tags (`es`, `en`, `zh-hant`); anything else is 400."""
    tags = list(dict.fromkeys(v.strip().lower() for v in values))
    if any(not LANGUAGE_TAG.match(tag) for tag in tags):
        raise ValidationFailed(
            "Languages are BCP 47 tags such as es, en or zh-hant.", field="languages"
        )
    return tags


def _own(actor: Actor, agency_id: object) -> None:
    if actor.agency_id != agency_id:
        raise PermissionDenied("You can only change your own agency's programs.")


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - PROGRAM_FIELDS
    if unknown:
        raise ValidationFailed(f"Unknown fields: {', '.join(sorted(unknown))}.")
    if "service_type" in fields and fields["service_type"] not in ServiceType.values:
        raise ValidationFailed("Unknown service type.", field="service_type")
    if fields.get("capacity_status", CapacityStatus.AVAILABLE) not in CapacityStatus.values:
        raise ValidationFailed("Unknown capacity status.", field="capacity_status")
    if "languages" in fields:
        fields["languages"] = language_tags(fields["languages"])
    return fields


@transaction.atomic
def program_create(*, actor: Actor, agency: Agency, **fields: Any) -> Program:
    """A new directory entry; written by a person, so it counts as confirmed (`assured_at`)."""
    _own(actor, agency.id)
    fields = _clean(fields)
    if Program.objects.filter(agency=agency, name=fields.get("name")).exists():
        raise ValidationFailed("This agency already lists a program with that name.", field="name")
    now = timezone.now()
    assured = now if actor.kind == "user" else None
    program = Program.objects.create(
        agency=agency, capacity_updated_at=now, assured_at=assured, **fields
    )
    audit_record(actor=actor, action="program.create", target=program, target_agency_id=agency.id)
    return program


@transaction.atomic
def program_update(*, actor: Actor, program: Program, **fields: Any) -> Program:
    """Update a program; capacity fields go through `program_capacity_set` (stamp, webhook)."""
    _own(actor, program.agency_id)
    fields = _clean(fields)
    capacity = {k: fields.pop(k) for k in CAPACITY_FIELDS if k in fields}
    program = Program.objects.select_for_update().get(pk=program.pk)
    if fields:
        for name, value in fields.items():
            setattr(program, name, value)
        program.save(update_fields=[*fields, "updated_at"])
        audit_record(
            actor=actor,
            action="program.update",
            target=program,
            target_agency_id=program.agency_id,
            reason=",".join(sorted(fields)),
        )
    if capacity:
        program = program_capacity_set(actor=actor, program=program, **capacity)
    return program


@transaction.atomic
def program_capacity_set(
    *,
    actor: Actor,
    program: Program,
    capacity_status: str | None = None,
    accepting_referrals: bool | None = None,
) -> Program:
    """Report a program's capacity now. Always stamps `capacity_updated_at` (a report that
    nothing changed is fresh news too); a change is audited and sent to subscribers."""
    _own(actor, program.agency_id)
    if capacity_status is not None and capacity_status not in CapacityStatus.values:
        raise ValidationFailed("Unknown capacity status.", field="capacity_status")
    program = Program.objects.select_for_update().get(pk=program.pk)
    before = (program.capacity_status, program.accepting_referrals)
    if capacity_status is not None:
        program.capacity_status = capacity_status
    if accepting_referrals is not None:
        program.accepting_referrals = accepting_referrals
    program.capacity_updated_at = timezone.now()
    program.save(update_fields=[*CAPACITY_FIELDS, "capacity_updated_at", "updated_at"])
    changed = before != (program.capacity_status, program.accepting_referrals)
    audit_record(
        actor=actor,
        action="program.capacity_changed" if changed else "program.capacity_confirmed",
        target=program,
        target_agency_id=program.agency_id,
        reason=f"{before[0]}->{program.capacity_status}",
    )
    if changed:
        _publish_capacity(program, previous=before[0])
    return program


def _publish_capacity(program: Program, *, previous: str) -> None:
    data = {
        "program_id": program.id,
        "agency_id": program.agency_id,
        "service_type": program.service_type,
        "capacity_status": program.capacity_status,
        "previous_capacity_status": previous,
        "accepting_referrals": program.accepting_referrals,
    }
    publish(type="program.capacity_changed", data=data, also=[program.agency_id])


@transaction.atomic
def program_assure(*, actor: Actor, program: Program) -> Program:
    """A person at the agency confirms the entry is right (HSDS `assured_date`)."""
    _own(actor, program.agency_id)
    if actor.kind != "user":
        raise PermissionDenied("Only a person can confirm a directory entry.")
    program = Program.objects.select_for_update().get(pk=program.pk)
    program.assured_at = timezone.now()
    program.save(update_fields=["assured_at", "updated_at"])
    audit_record(
        actor=actor, action="program.assure", target=program, target_agency_id=program.agency_id
    )
    return program
