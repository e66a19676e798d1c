"""The agency directory, and program upkeep by an agency's own admin."""

from __future__ import annotations

import uuid

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies import selectors, services
from agencies.models import AgencyKind, CapacityStatus, ServiceType
from api.base import actor_of
from api.idempotency import idempotent
from api.pagination import CreatedCursorPagination
from api.permissions import Authenticated, allow
from api.serializers import StrictInput
from api.v1.program_io import ProgramOutput


class AgencyOutput(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=AgencyKind.choices)
    is_victim_service_provider = serializers.BooleanField()
    programs = ProgramOutput(many=True, source="programs.all")


class ProgramCreateInput(StrictInput):
    name = serializers.CharField(max_length=200)
    service_type = serializers.ChoiceField(choices=ServiceType.choices)
    description = serializers.CharField(max_length=4000, required=False, default="")
    languages = serializers.ListField(
        child=serializers.CharField(max_length=35), required=False, default=list, max_length=30
    )
    eligibility = serializers.CharField(max_length=4000, required=False, default="")
    capacity_status = serializers.ChoiceField(
        choices=CapacityStatus.choices, required=False, default=CapacityStatus.AVAILABLE
    )
    accepting_referrals = serializers.BooleanField(required=False, default=True)
    max_household_size = serializers.IntegerField(
        min_value=1, max_value=30, required=False, allow_null=True
    )
    response_days = serializers.IntegerField(
        min_value=1, max_value=90, required=False, allow_null=True
    )


class ProgramUpdateInput(ProgramCreateInput):
    name = serializers.CharField(max_length=200, required=False)
    service_type = serializers.ChoiceField(choices=ServiceType.choices, required=False)
    description = serializers.CharField(max_length=4000, required=False)
    languages = serializers.ListField(
        child=serializers.CharField(max_length=35), required=False, max_length=30
    )
    eligibility = serializers.CharField(max_length=4000, required=False)
    capacity_status = serializers.ChoiceField(choices=CapacityStatus.choices, required=False)
    accepting_referrals = serializers.BooleanField(required=False)


class AgencyListApi(GenericAPIView):
    """The directory: active agencies and the programs they offer."""

    permission_classes = [Authenticated]
    pagination_class = CreatedCursorPagination
    serializer_class = AgencyOutput

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.agency_directory()

    @extend_schema(responses={200: AgencyOutput(many=True)})
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(AgencyOutput(page, many=True).data)


class AgencyDetailApi(APIView):
    """One directory entry."""

    permission_classes = [Authenticated]

    @extend_schema(responses={200: AgencyOutput})
    def get(self, request: Request, agency_id: uuid.UUID) -> Response:
        return Response(AgencyOutput(selectors.agency_get(agency_id=agency_id)).data)


class ProgramCreateApi(APIView):
    """Add a program to your own agency's directory entry (agency admins)."""

    permission_classes = [allow(roles=("agency_admin",))]

    @extend_schema(request=ProgramCreateInput, responses={201: ProgramOutput})
    @idempotent()
    def post(self, request: Request, agency_id: uuid.UUID) -> Response:
        actor = actor_of(request)
        agency = selectors.agency_get(agency_id=agency_id, with_programs=False)
        data = ProgramCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        program = services.program_create(actor=actor, agency=agency, **data.validated_data)
        return Response(ProgramOutput(program).data, status=status.HTTP_201_CREATED)


class ProgramUpdateApi(APIView):
    """Update a program of your own agency, e.g. its capacity (agency admins)."""

    permission_classes = [allow(roles=("agency_admin",))]

    @extend_schema(request=ProgramUpdateInput, responses={200: ProgramOutput})
    def patch(self, request: Request, agency_id: uuid.UUID, program_id: uuid.UUID) -> Response:
        actor = actor_of(request)
        program = selectors.program_get_for(actor=actor, agency_id=agency_id, program_id=program_id)
        data = ProgramUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        program = services.program_update(actor=actor, program=program, **data.validated_data)
        return Response(ProgramOutput(program).data)
