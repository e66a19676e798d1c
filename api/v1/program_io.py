"""Serializers for directory programs: shared by the agency directory and the program search."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agencies.models import AgencyKind, CapacityStatus, Program
from agencies.selectors import capacity_stale, entry_stale
from agencies.services import LANGUAGE_TAG
from agencies.taxonomy import ServiceType, service_type_info
from api.serializers import StrictInput, StrictQuery
from referrals.models import Priority


def _language(value: str) -> str:
    tag = value.strip().lower()
    if not LANGUAGE_TAG.match(tag):
        raise serializers.ValidationError("A BCP 47 language tag such as es, en or zh-hant.")
    return tag


class ProgramOutput(serializers.Serializer):
    """A directory entry. `assured_date`: when a person at the agency last confirmed it (HSDS);
    `stale`: not confirmed within DIRECTORY_ASSURED_STALE_DAYS; `capacity_stale`: capacity not
    reported within DIRECTORY_CAPACITY_STALE_DAYS."""

    id = serializers.UUIDField()
    name = serializers.CharField()
    service_type = serializers.ChoiceField(choices=ServiceType.choices)
    service_type_label = serializers.SerializerMethodField()
    description = serializers.CharField()
    languages = serializers.ListField(child=serializers.CharField())
    eligibility = serializers.CharField()
    capacity_status = serializers.ChoiceField(choices=CapacityStatus.choices)
    capacity_updated_at = serializers.DateTimeField(allow_null=True)
    capacity_stale = serializers.SerializerMethodField()
    accepting_referrals = serializers.BooleanField()
    max_household_size = serializers.IntegerField(allow_null=True)
    response_days = serializers.IntegerField(allow_null=True)
    assured_date = serializers.SerializerMethodField()
    stale = serializers.SerializerMethodField()

    def get_service_type_label(self, program: Program) -> str:
        return service_type_info(program.service_type).label

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_assured_date(self, program: Program) -> str | None:
        return program.assured_at.date().isoformat() if program.assured_at else None

    def get_capacity_stale(self, program: Program) -> bool:
        return capacity_stale(program)

    def get_stale(self, program: Program) -> bool:
        return entry_stale(program)


class ProgramAgencyOutput(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=AgencyKind.choices)
    is_victim_service_provider = serializers.BooleanField()


class DirectoryProgramOutput(ProgramOutput):
    """A program with its agency (the program search)."""

    agency_id = serializers.UUIDField()
    agency = ProgramAgencyOutput(help_text="Read-only: the agency of `agency_id`.")


class ProgramSearchQuery(StrictQuery):
    service_type = serializers.ChoiceField(choices=ServiceType.choices, required=False)
    language = serializers.CharField(max_length=35, required=False)
    capacity_status = serializers.ChoiceField(choices=CapacityStatus.choices, required=False)
    accepting = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="true: taking referrals and not full; false: the others.",
    )
    agency_kind = serializers.ChoiceField(choices=AgencyKind.choices, required=False)
    agency_id = serializers.UUIDField(required=False)
    verified_within_days = serializers.IntegerField(
        min_value=1,
        max_value=3650,
        required=False,
        help_text="A person confirmed the entry (assured_date) within this many days.",
    )

    def validate_language(self, value: str) -> str:
        return _language(value)


class AvailabilityInput(StrictInput):
    """The pre-check. No client identifiers: any other field is refused (400 unknown_field)."""

    service_type = serializers.ChoiceField(choices=ServiceType.choices)
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.ROUTINE)
    language = serializers.CharField(max_length=35, required=False, allow_null=True)
    household_size = serializers.IntegerField(
        min_value=1, max_value=30, required=False, allow_null=True
    )

    def validate_language(self, value: str | None) -> str | None:
        return _language(value) if value else None


class AvailabilityReasonOutput(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class AvailabilityRef(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class AvailabilityOutput(serializers.Serializer):
    status = serializers.ChoiceField(choices=CapacityStatus.choices)
    reasons = AvailabilityReasonOutput(many=True)
    program_id = serializers.UUIDField(source="program.id")
    program = AvailabilityRef(help_text="Read-only: `program_id` with the name.")
    agency_id = serializers.UUIDField(source="program.agency_id")
    agency = AvailabilityRef(
        source="program.agency", help_text="Read-only: `agency_id` with the name."
    )
    capacity_status = serializers.ChoiceField(
        choices=CapacityStatus.choices, source="program.capacity_status"
    )
    capacity_updated_at = serializers.DateTimeField(
        source="program.capacity_updated_at", allow_null=True
    )
    checked_at = serializers.DateTimeField()


class CapacityInput(StrictInput):
    capacity_status = serializers.ChoiceField(choices=CapacityStatus.choices, required=False)
    accepting_referrals = serializers.BooleanField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError("Send capacity_status, accepting_referrals or both.")
        return attrs


class PublicTermOutput(serializers.Serializer):
    taxonomy = serializers.CharField()
    code = serializers.CharField()
    name = serializers.CharField()
    match = serializers.ChoiceField(choices=["exact", "close", "broader"])


class ServiceTypeOutput(serializers.Serializer):
    code = serializers.ChoiceField(choices=ServiceType.choices)
    label = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.label
    description = serializers.CharField()
    public = PublicTermOutput(allow_null=True)


class ServiceTypeListOutput(serializers.Serializer):
    results = ServiceTypeOutput(many=True)
