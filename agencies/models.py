"""Agencies (tenants) and the programs they list in the directory."""

from __future__ import annotations

from django.db import models

from agencies.lookups import HasElement
from agencies.taxonomy import ServiceType
from core.models import BaseModel

__all__ = ["Agency", "AgencyKind", "CapacityStatus", "Program", "ServiceType"]


class AgencyKind(models.TextChoices):
    LEGAL_CLINIC = "legal_clinic"
    SOCIAL_SERVICES = "social_services"
    HOUSING = "housing"
    HEALTH = "health"
    OTHER = "other"


class CapacityStatus(models.TextChoices):
    AVAILABLE = "available"
    WAITLIST = "waitlist"
    FULL = "full"
    ASSESSMENT_REQUIRED = "assessment_required"


class Agency(BaseModel):
    """A tenant: it owns its clients and sees only the referrals it sends or receives."""

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=32, choices=AgencyKind.choices)
    is_victim_service_provider = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Program(BaseModel):
    """A service an agency offers, with its current capacity and when a person last checked it.

    `assured_at` is HSDS's `assured_date`: when someone at the agency last confirmed the entry
    is right. `capacity_updated_at` moves with every capacity report, by a person or a system.
    """

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="programs")
    name = models.CharField(max_length=200)
    service_type = models.CharField(max_length=32, choices=ServiceType.choices)
    description = models.TextField(blank=True)
    languages = models.JSONField(default=list)
    eligibility = models.TextField(blank=True)
    capacity_status = models.CharField(
        max_length=32, choices=CapacityStatus.choices, default=CapacityStatus.AVAILABLE
    )
    capacity_updated_at = models.DateTimeField(null=True, blank=True)
    accepting_referrals = models.BooleanField(default=True)
    max_household_size = models.PositiveSmallIntegerField(null=True, blank=True)
    response_days = models.PositiveSmallIntegerField(null=True, blank=True)
    assured_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "name"], name="program_unique_name_per_agency"
            ),
            models.CheckConstraint(
                condition=models.Q(service_type__in=ServiceType.values),
                name="program_service_type_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name


Program._meta.get_field("languages").register_lookup(HasElement)
