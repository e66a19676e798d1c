"""The program directory: search, the capacity pre-check, capacity upkeep, confirming an entry,
and the service taxonomy."""

from __future__ import annotations

import uuid

from drf_spectacular.utils import extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies import selectors, services
from agencies.taxonomy import SERVICE_TYPES
from api.base import actor_of
from api.pagination import NameCursorPagination
from api.permissions import Authenticated, allow
from api.v1.program_io import (
    AvailabilityInput,
    AvailabilityOutput,
    CapacityInput,
    DirectoryProgramOutput,
    ProgramOutput,
    ProgramSearchQuery,
    ServiceTypeListOutput,
)
from core.roles import CASE_ROLES, Role, Scope
from referrals.matching import program_availability

ADMIN = (Role.AGENCY_ADMIN,)


class ProgramListApi(GenericAPIView):
    """Search the directory: by service type, language, capacity, agency kind, freshness."""

    permission_classes = [Authenticated]
    pagination_class = NameCursorPagination
    serializer_class = DirectoryProgramOutput

    @extend_schema(
        parameters=[ProgramSearchQuery], responses={200: DirectoryProgramOutput(many=True)}
    )
    def get(self, request: Request) -> Response:
        query = ProgramSearchQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = dict(query.validated_data)
        page = self.paginate_queryset(selectors.program_search(**filters))
        return self.get_paginated_response(DirectoryProgramOutput(page, many=True).data)


class ProgramAvailabilityApi(APIView):
    """Capacity pre-check before a referral: no client data is accepted (unknown fields: 400)."""

    permission_classes = [allow(roles=tuple(CASE_ROLES), scope=Scope.REFERRALS_WRITE)]

    @extend_schema(request=AvailabilityInput, responses={200: AvailabilityOutput})
    def post(self, request: Request, program_id: uuid.UUID) -> Response:
        data = AvailabilityInput(data=request.data)
        data.is_valid(raise_exception=True)
        answer = program_availability(
            actor=actor_of(request),
            program=selectors.program_get(program_id=program_id),
            **data.validated_data,
        )
        return Response(AvailabilityOutput(answer).data)


class ProgramCapacityApi(APIView):
    """Report one of your programs' capacity (agency admins, or `directory:write` systems)."""

    permission_classes = [allow(roles=ADMIN, scope=Scope.DIRECTORY_WRITE)]

    @extend_schema(request=CapacityInput, responses={200: ProgramOutput})
    def post(self, request: Request, program_id: uuid.UUID) -> Response:
        actor = actor_of(request)
        program = selectors.program_own(actor=actor, program_id=program_id)
        data = CapacityInput(data=request.data)
        data.is_valid(raise_exception=True)
        program = services.program_capacity_set(actor=actor, program=program, **data.validated_data)
        return Response(ProgramOutput(program).data)


class ProgramAssureApi(APIView):
    """Confirm one of your programs' entry is right (agency admins: a person, not a system)."""

    permission_classes = [allow(roles=ADMIN)]

    @extend_schema(request=None, responses={200: ProgramOutput})
    def post(self, request: Request, program_id: uuid.UUID) -> Response:
        actor = actor_of(request)
        program = selectors.program_own(actor=actor, program_id=program_id)
        return Response(ProgramOutput(services.program_assure(actor=actor, program=program)).data)


class ServiceTypeListApi(APIView):
    """The service taxonomy: each type's description and its public taxonomy counterpart."""

    permission_classes = [Authenticated]

    @extend_schema(responses={200: ServiceTypeListOutput})
    def get(self, request: Request) -> Response:
        return Response(ServiceTypeListOutput({"results": list(SERVICE_TYPES.values())}).data)
