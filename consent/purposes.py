"""Which consent purposes may cover which service (DESIGN §4): the one table, fail closed.

A release is for a specific purpose (VAWA, HIPAA 164.508(c)(1)(iv)): a `housing` release does
not cover a legal referral. Creating, sending and attaching a consent to a referral, and every
read of it, ask `purpose_fits`. A service type missing from the table fits no purpose at all
(`tests/consent/test_purposes.py` fails until a new `ServiceType` gets its row).
"""

from __future__ import annotations

from agencies.taxonomy import ServiceType as S
from consent.models import Purpose as P
from core.errors import Conflict

PURPOSES_FOR_SERVICE: dict[str, tuple[str, ...]] = {
    # legal help
    S.CIVIL_LEGAL_AID: (P.LEGAL_SERVICES, P.SAFETY_PLANNING),
    S.IMMIGRATION_LEGAL: (P.LEGAL_SERVICES,),
    S.CRIMINAL_RECORD_RELIEF: (P.LEGAL_SERVICES,),
    S.FAMILY_LAW: (P.LEGAL_SERVICES, P.SAFETY_PLANNING),
    S.RESTORATIVE_JUSTICE: (P.LEGAL_SERVICES, P.SOCIAL_SERVICES, P.CASE_COORDINATION),
    S.VICTIM_OFFENDER_MEDIATION: (P.LEGAL_SERVICES, P.SOCIAL_SERVICES, P.CASE_COORDINATION),
    S.COMMUNITY_MEDIATION: (P.SOCIAL_SERVICES, P.LEGAL_SERVICES, P.CASE_COORDINATION),
    S.VICTIM_ADVOCACY: (P.SAFETY_PLANNING, P.SOCIAL_SERVICES, P.CASE_COORDINATION),
    # housing
    S.SHELTER: (P.HOUSING, P.SAFETY_PLANNING),
    S.TRANSITIONAL_HOUSING: (P.HOUSING,),
    S.RENTAL_ASSISTANCE: (P.HOUSING,),
    # health
    S.TRAUMA_COUNSELLING: (P.HEALTH_CARE,),
    S.MENTAL_HEALTH: (P.HEALTH_CARE,),
    S.SUBSTANCE_USE: (P.HEALTH_CARE,),
    S.HEALTH_CARE: (P.HEALTH_CARE,),
    # social services
    S.INTERPRETATION: (P.SOCIAL_SERVICES, P.CASE_COORDINATION),
    S.CASE_MANAGEMENT: (P.SOCIAL_SERVICES, P.CASE_COORDINATION, P.SAFETY_PLANNING),
    S.EMPLOYMENT: (P.SOCIAL_SERVICES,),
    S.BENEFITS: (P.SOCIAL_SERVICES,),
    S.OTHER: (P.SOCIAL_SERVICES, P.CASE_COORDINATION),
}


def purposes_for(service_type: str) -> tuple[str, ...]:
    """The purposes that may cover `service_type` (none for an unknown one)."""
    return PURPOSES_FOR_SERVICE.get(service_type, ())


def purpose_fits(*, purpose: str, service_type: str) -> bool:
    return purpose in purposes_for(service_type)


def purpose_check(*, purpose: str, service_type: str) -> None:
    """409 `purpose_mismatch`, naming the purposes that would fit, unless `purpose` fits."""
    if purpose_fits(purpose=purpose, service_type=service_type):
        return
    allowed = list(purposes_for(service_type))
    raise Conflict(
        f"A consent for {purpose} does not cover a {service_type} referral; "
        f"it needs one of: {', '.join(allowed) or 'none (unknown service type)'}.",
        code="purpose_mismatch",
        purpose=purpose,
        service_type=service_type,
        allowed_purposes=allowed,
    )
