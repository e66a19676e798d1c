"""The service taxonomy: the kinds of help agencies refer people to, in one place.

Each type has a plain-language label and description (what a caseworker reads in the program
chooser) and, where one exists, its counterpart in a public taxonomy. The public taxonomy is
**Open Eligibility** (the Open Eligibility Project, Aunt Bertha / findhelp; CC BY-SA 3.0): its
terms are identified by slugs such as `human_services:legal:mediation` in the project's
`taxonomy.yaml`. `match` says how close the counterpart is, in SKOS terms: `exact`, `close`
(the same kind of help, framed differently) or `broader` (their term covers ours and more).
Where Open Eligibility has no term for a type (restorative justice, criminal record relief,
family law), `public` is None, or names the broader term and says so: no code is invented.

The AIRS / 211 LA taxonomy is the other common one; it is licensed, and its codes are not
mapped here.

Codes are stable API values (programs and referrals store them). Renaming one needs a data
migration of `Program.service_type` and `Referral.service_type` (see agencies/migrations/0002).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

OPEN_ELIGIBILITY = "Open Eligibility"


class ServiceType(models.TextChoices):
    CIVIL_LEGAL_AID = "civil_legal_aid", "Civil legal aid"
    IMMIGRATION_LEGAL = "immigration_legal", "Immigration legal services"
    CRIMINAL_RECORD_RELIEF = "criminal_record_relief", "Criminal record relief"
    FAMILY_LAW = "family_law", "Family law and protection orders"
    RESTORATIVE_JUSTICE = "restorative_justice", "Restorative justice conferencing"
    VICTIM_OFFENDER_MEDIATION = "victim_offender_mediation", "Victim-offender mediation"
    COMMUNITY_MEDIATION = "community_mediation", "Community mediation"
    VICTIM_ADVOCACY = "victim_advocacy", "Victim advocacy"
    SHELTER = "shelter", "Emergency shelter"
    TRANSITIONAL_HOUSING = "transitional_housing", "Transitional housing"
    RENTAL_ASSISTANCE = "rental_assistance", "Rental assistance"
    TRAUMA_COUNSELLING = "trauma_counselling", "Trauma counselling"
    MENTAL_HEALTH = "mental_health", "Mental health care"
    SUBSTANCE_USE = "substance_use", "Substance use treatment"
    HEALTH_CARE = "health_care", "Health care"
    INTERPRETATION = "interpretation", "Interpretation and translation"
    CASE_MANAGEMENT = "case_management", "Case management"
    EMPLOYMENT = "employment", "Employment services"
    BENEFITS = "benefits", "Public benefits"
    OTHER = "other", "Other"


# Codes replaced by this taxonomy, and what they became (agencies/migrations/0002).
RENAMED = {
    "legal_services": ServiceType.CIVIL_LEGAL_AID,
    "housing": ServiceType.TRANSITIONAL_HOUSING,
}


@dataclass(frozen=True)
class PublicTerm:
    """A term of a public taxonomy that a service type corresponds to."""

    taxonomy: str
    code: str
    name: str
    match: str  # exact | close | broader


@dataclass(frozen=True)
class ServiceTypeInfo:
    code: str
    label: str
    description: str
    public: PublicTerm | None


def _oe(code: str, name: str, match: str) -> PublicTerm:
    return PublicTerm(OPEN_ELIGIBILITY, f"human_services:{code}", name, match)


_LEGAL_AID = ("legal:advocacy_legal_aid", "Advocacy & Legal Aid")

_TERMS: dict[str, tuple[str, PublicTerm | None]] = {
    ServiceType.CIVIL_LEGAL_AID: (
        "Free or low-cost legal advice and representation in civil matters: eviction and "
        "housing, public benefits appeals, debt, employment and consumer problems.",
        _oe(*_LEGAL_AID, "close"),
    ),
    ServiceType.IMMIGRATION_LEGAL: (
        "Legal help with immigration relief: T visas for trafficking survivors, U visas for "
        "victims of crime, VAWA self-petitions, asylum and changes of status.",
        _oe(
            "legal:advocacy_legal_aid:citizenship_immigration", "Citizenship & Immigration", "close"
        ),
    ),
    ServiceType.CRIMINAL_RECORD_RELIEF: (
        "Sealing, expunging or vacating criminal records, including vacatur for survivors "
        "convicted of offences they were made to commit while trafficked.",
        _oe(*_LEGAL_AID, "broader"),  # Open Eligibility has no record-relief term
    ),
    ServiceType.FAMILY_LAW: (
        "Protection (restraining) orders, divorce, custody, child support and other "
        "family-court matters.",
        _oe(*_LEGAL_AID, "broader"),  # no family-law term either
    ),
    ServiceType.RESTORATIVE_JUSTICE: (
        "A facilitated meeting (a conference or circle) of the person harmed, the person "
        "responsible and people close to them, to agree how the harm will be repaired. "
        "Voluntary for everyone, and only where it is safe.",
        None,  # no restorative-justice term in Open Eligibility
    ),
    ServiceType.VICTIM_OFFENDER_MEDIATION: (
        "A trained mediator helps a victim and the offender talk about the offence and its "
        "effects, face to face or through the mediator. Voluntary, and only where it is safe.",
        _oe("legal:mediation", "Mediation", "broader"),
    ),
    ServiceType.COMMUNITY_MEDIATION: (
        "Mediation of disputes between neighbours, tenants and landlords, family or community "
        "members, outside court.",
        _oe("legal:mediation", "Mediation", "exact"),
    ),
    ServiceType.VICTIM_ADVOCACY: (
        "An advocate who helps a survivor plan for safety, understand their options and who "
        "goes with them to the police, court and other services.",
        _oe("emergency:immediate_safety:help_escape_violence", "Help Escape Violence", "close"),
    ),
    ServiceType.SHELTER: (
        "A safe place to stay tonight or in the next few days, including confidential "
        "domestic-violence shelters.",
        _oe("housing:emergency_shelter", "Emergency Shelter", "exact"),
    ),
    ServiceType.TRANSITIONAL_HOUSING: (
        "Time-limited housing with support (often up to 24 months) on the way to a permanent home.",
        _oe("housing:residential_housing:short_term_housing", "Short-Term Housing", "close"),
    ),
    ServiceType.RENTAL_ASSISTANCE: (
        "Help paying rent, a deposit or arrears, or a housing voucher.",
        _oe("housing:help_pay_for_housing", "Help Pay for Housing", "close"),
    ),
    ServiceType.TRAUMA_COUNSELLING: (
        "Counselling to recover from violence, abuse, trafficking or other trauma.",
        _oe("health:mental_health_care:counseling", "Counseling", "broader"),
    ),
    ServiceType.MENTAL_HEALTH: (
        "Mental health assessment, therapy, psychiatric care and crisis support.",
        _oe("health:mental_health_care", "Mental Health Care", "exact"),
    ),
    ServiceType.SUBSTANCE_USE: (
        "Detox, treatment and recovery support for alcohol or drug use.",
        _oe("health:addiction_recovery", "Addiction & Recovery", "exact"),
    ),
    ServiceType.HEALTH_CARE: (
        "Medical care: primary care, clinics, forensic examinations, sexual and reproductive "
        "health.",
        _oe("health:medical_care", "Medical Care", "exact"),
    ),
    ServiceType.INTERPRETATION: (
        "Interpreters and translated documents, so a person can use services in their own "
        "language.",
        _oe("legal:translation_interpretation", "Translation & Interpretation", "exact"),
    ),
    ServiceType.CASE_MANAGEMENT: (
        "A case manager who coordinates services, benefits and appointments over time.",
        _oe("care:navigating_the_system:case_management", "Case Management", "exact"),
    ),
    ServiceType.EMPLOYMENT: (
        "Finding work, job training and help with workplace rights.",
        _oe("work", "Work", "exact"),
    ),
    ServiceType.BENEFITS: (
        "Help applying for public benefits: food, cash assistance, health coverage, disability.",
        _oe("money:government_benefits", "Government Benefits", "exact"),
    ),
    ServiceType.OTHER: (
        "A service not listed above; the program description says what it is.",
        None,
    ),
}

SERVICE_TYPES: dict[str, ServiceTypeInfo] = {
    code: ServiceTypeInfo(code, str(label), *_TERMS[code]) for code, label in ServiceType.choices
}


def service_type_info(code: str) -> ServiceTypeInfo:
    """The taxonomy entry of `code` (a KeyError names a code that is not in the taxonomy)."""
    return SERVICE_TYPES[code]
