"""Does this program fit this referral? The capacity pre-check and the check at send time.

The pre-check (Gravity SDOHCC capacity query) carries no client identifiers: a service type, a
priority, a language and a household size. It answers `available`, `waitlist`, `full` or
`assessment_required` with its reasons, and is audited without a subject.

A referral naming a program is refused when the program is `full`, has stopped taking referrals
or does not offer the referral's service type (409, see `program_refusal`). There is no override:
a recipient that can take a referral after all updates its capacity first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from agencies.models import CapacityStatus, Program
from agencies.selectors import capacity_stale, entry_stale
from agencies.taxonomy import service_type_info
from audit.services import audit_record
from core.actor import Actor
from core.errors import Conflict
from referrals.models import Priority

PRESSING = frozenset({Priority.STAT, Priority.ASAP})


@dataclass(frozen=True)
class Reason:
    code: str
    message: str


@dataclass(frozen=True)
class Availability:
    program: Program
    status: str
    reasons: list[Reason] = field(default_factory=list)
    checked_at: datetime = field(default_factory=timezone.now)


def program_refusal(program: Program, service_type: str) -> Reason | None:
    """Why a referral for `service_type` cannot go to `program` now, or None."""
    if program.service_type != service_type:
        offered = service_type_info(program.service_type).label
        return Reason(
            "service_type_not_offered",
            f"This program offers {offered}, not {service_type_info(service_type).label}.",
        )
    if not program.accepting_referrals:
        return Reason("program_not_accepting", "This program is not taking referrals now.")
    if program.capacity_status == CapacityStatus.FULL:
        return Reason("program_full", "This program is full; choose another or try later.")
    return None


def program_check_fits(*, program: Program | None, service_type: str) -> None:
    """Raise 409 (with the reason's code) if a referral cannot go to `program`."""
    refusal = program_refusal(program, service_type) if program is not None else None
    if refusal is not None:
        raise Conflict(refusal.message, code=refusal.code, program_id=str(program.id))  # type: ignore[union-attr]


def _notes(
    program: Program, priority: str, language: str | None, household_size: int | None
) -> list[Reason]:
    notes = []
    if language and language.lower() not in program.languages:
        notes.append(Reason("language_not_listed", "Ask whether an interpreter can be arranged."))
    limit = program.max_household_size
    if household_size and limit and household_size > limit:
        notes.append(Reason("household_too_large", f"The program serves households up to {limit}."))
    if program.capacity_status == CapacityStatus.WAITLIST and priority in PRESSING:
        notes.append(Reason("waitlist", "There is a waitlist: a pressing referral may wait."))
    if capacity_stale(program):
        notes.append(Reason("capacity_stale", "Capacity has not been reported recently."))
    if entry_stale(program):
        notes.append(Reason("entry_unconfirmed", "No one has confirmed this entry recently."))
    return notes


def _status(program: Program, notes: list[Reason]) -> str:
    codes = {n.code for n in notes}
    if "household_too_large" in codes:
        return CapacityStatus.FULL
    if program.capacity_status == CapacityStatus.AVAILABLE and "language_not_listed" in codes:
        return CapacityStatus.ASSESSMENT_REQUIRED
    return str(program.capacity_status)


@transaction.atomic
def program_availability(
    *,
    actor: Actor,
    program: Program,
    service_type: str,
    priority: str = Priority.ROUTINE,
    language: str | None = None,
    household_size: int | None = None,
) -> Availability:
    """Answer the pre-check; audited (`program.availability`) with the answer, no subject."""
    refusal = program_refusal(program, service_type)
    if refusal is not None:
        answer = Availability(program, CapacityStatus.FULL, [refusal])
    else:
        notes = _notes(program, priority, language, household_size)
        answer = Availability(program, _status(program, notes), notes)
    audit_record(
        actor=actor,
        action="program.availability",
        target=program,
        target_agency_id=program.agency_id,
        reason=answer.status,
    )
    return answer
