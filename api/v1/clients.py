"""Client records of the caller's own agency: create, list, read, update, search, erase.

Payloads are nested by data category (clients/categories.py). Other agencies' clients are 404;
agency admins and compliance officers are refused (403) and never see survivor data.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.base import actor_of
from api.idempotency import idempotent
from api.pagination import CreatedCursorPagination
from api.permissions import allow
from api.serializers import StrictInput
from clients import reads, services
from clients.models import Client
from clients.selectors import WRITE, client_get_for, client_qs_for
from core.roles import CASE_ROLES, Role, Scope

CASE = tuple(sorted(CASE_ROLES))
Reader = allow(roles=CASE, scope=Scope.CLIENTS_READ)
Writer = allow(roles=CASE, scope=Scope.CLIENTS_WRITE)
Eraser = allow(roles=(Role.SUPERVISOR,))


def _text(max_length: int) -> serializers.CharField:
    return serializers.CharField(
        max_length=max_length, required=False, allow_null=True, allow_blank=True
    )


def _past_date(value: datetime.date | None) -> None:
    if value is not None and not datetime.date(1900, 1, 1) <= value <= datetime.date.today():
        raise serializers.ValidationError("Must be between 1900-01-01 and today.")


class ClientIdentityInput(StrictInput):
    given_name = _text(100)
    family_name = _text(100)
    preferred_name = _text(100)
    date_of_birth = serializers.DateField(
        input_formats=["%Y-%m-%d"], required=False, allow_null=True, validators=[_past_date]
    )


class ClientContactInput(StrictInput):
    phone = _text(40)
    email = serializers.EmailField(
        max_length=254, required=False, allow_null=True, allow_blank=True
    )
    address = _text(500)
    safe_contact_instructions = _text(2000)


class ClientDemographicsInput(StrictInput):
    gender = _text(50)
    preferred_language = _text(35)
    household_size = serializers.IntegerField(
        min_value=1, max_value=30, required=False, allow_null=True
    )


class ClientSafetyInput(StrictInput):
    risk_notes = _text(4000)


class ClientImmigrationInput(StrictInput):
    status = _text(100)
    notes = _text(4000)


class ClientHealthInput(StrictInput):
    notes = _text(4000)


class ClientUpdateInput(StrictInput):
    """Categories to change; the names rule (required, never cleared) is the service's."""

    identity = ClientIdentityInput(required=False)
    contact = ClientContactInput(required=False)
    demographics = ClientDemographicsInput(required=False)
    safety = ClientSafetyInput(required=False)
    immigration = ClientImmigrationInput(required=False)
    health = ClientHealthInput(required=False)


class ClientCreateInput(ClientUpdateInput):
    identity = ClientIdentityInput()


class ClientSearchInput(StrictInput):
    given_name = serializers.CharField(max_length=100)
    family_name = serializers.CharField(max_length=100)
    date_of_birth = serializers.DateField(input_formats=["%Y-%m-%d"])


class ClientEraseInput(StrictInput):
    confirm = serializers.BooleanField(help_text="Must be true: erasure cannot be undone.")

    def validate_confirm(self, value: bool) -> bool:
        if value is not True:
            raise serializers.ValidationError("Erasure cannot be undone; send confirm: true.")
        return value


def _out(input_class: type[serializers.Serializer], name: str) -> type[serializers.Serializer]:
    """An output twin of a category input: same fields, all nullable, read-only."""
    fields = {
        key: serializers.DateField(allow_null=True)
        if isinstance(field, serializers.DateField)
        else serializers.IntegerField(allow_null=True)
        if isinstance(field, serializers.IntegerField)
        else serializers.CharField(allow_null=True)
        for key, field in input_class().fields.items()
    }
    return type(name, (serializers.Serializer,), fields)


ClientIdentityOutput = _out(ClientIdentityInput, "ClientIdentityOutput")


class ClientOutput(serializers.Serializer):
    id = serializers.UUIDField()
    agency_id = serializers.UUIDField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    erased = serializers.BooleanField()
    erased_at = serializers.DateTimeField(allow_null=True)
    identity = ClientIdentityOutput(required=False)
    contact = _out(ClientContactInput, "ClientContactOutput")(required=False)
    demographics = _out(ClientDemographicsInput, "ClientDemographicsOutput")(required=False)
    safety = _out(ClientSafetyInput, "ClientSafetyOutput")(required=False)
    immigration = _out(ClientImmigrationInput, "ClientImmigrationOutput")(required=False)
    health = _out(ClientHealthInput, "ClientHealthOutput")(required=False)


class ClientSummaryOutput(serializers.Serializer):
    id = serializers.UUIDField()
    created_at = serializers.DateTimeField()
    erased = serializers.BooleanField()
    identity = ClientIdentityOutput(allow_null=True)


class ClientSearchOutput(serializers.Serializer):
    results = ClientSummaryOutput(many=True)


def render(client: Client, fields: dict[str, Any]) -> dict[str, Any]:
    """The response body: ids and timestamps, plus decrypted categories (none once erased)."""
    base = {
        "id": client.pk,
        "agency_id": client.agency_id,
        "created_at": client.created_at,
        "updated_at": client.updated_at,
        "erased": client.erased_at is not None,
        "erased_at": client.erased_at,
    }
    return {**base, **fields}


def summary(client: Client, identity: dict[str, Any] | None) -> dict[str, Any]:
    erased = client.erased_at is not None
    return {
        "id": client.pk,
        "created_at": client.created_at,
        "erased": erased,
        "identity": None if erased else identity,
    }


def _replay_create(view: Any, request: Request, resource_id: str) -> Response:
    """Idempotent retry: re-read the client created the first time (no PII was stored)."""
    actor = actor_of(request)
    client = client_get_for(actor=actor, client_id=uuid.UUID(resource_id), need=WRITE)
    return Response(render(client, reads.client_read_back(actor=actor, client=client)))


class ClientListCreateApi(GenericAPIView):
    """`GET`: your agency's clients, newest first (identity only). `POST`: record a client."""

    pagination_class = CreatedCursorPagination
    serializer_class = ClientSummaryOutput

    def get_permissions(self):  # type: ignore[no-untyped-def]
        return [Writer() if self.request.method == "POST" else Reader()]

    def get_queryset(self) -> QuerySet[Client]:
        return client_qs_for(actor_of(self.request))

    @extend_schema(responses={200: ClientSummaryOutput(many=True)})
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset()) or []
        identities = reads.client_identities(actor=actor_of(request), clients=page)
        return self.get_paginated_response([summary(c, identities.get(c.pk)) for c in page])

    @extend_schema(
        request=ClientCreateInput,
        responses={201: ClientOutput},
        parameters=[
            OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False)
        ],
    )
    @idempotent(replay=_replay_create)
    def post(self, request: Request) -> Response:
        actor = actor_of(request)
        data = ClientCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        client = services.client_create(actor=actor, data=data.validated_data)
        fields = reads.client_read_back(actor=actor, client=client, echo=True)
        return Response(render(client, fields), status=status.HTTP_201_CREATED)


class ClientDetailApi(APIView):
    """`GET`: one client, every category. `PATCH`: change fields, category by category."""

    def get_permissions(self):  # type: ignore[no-untyped-def]
        return [Writer() if self.request.method == "PATCH" else Reader()]

    @extend_schema(responses={200: ClientOutput})
    def get(self, request: Request, client_id: uuid.UUID) -> Response:
        actor = actor_of(request)
        client = client_get_for(actor=actor, client_id=client_id)
        return Response(render(client, reads.client_read(actor=actor, client=client)))

    @extend_schema(request=ClientUpdateInput, responses={200: ClientOutput})
    def patch(self, request: Request, client_id: uuid.UUID) -> Response:
        actor = actor_of(request)
        client = client_get_for(actor=actor, client_id=client_id, need=WRITE)
        data = ClientUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        client = services.client_update(actor=actor, client=client, data=data.validated_data)
        return Response(render(client, reads.client_read_back(actor=actor, client=client)))


class ClientSearchApi(APIView):
    """Find your agency's clients by exact name + date of birth (normalised; PII in the body)."""

    permission_classes = [Reader]

    @extend_schema(request=ClientSearchInput, responses={200: ClientSearchOutput})
    def post(self, request: Request) -> Response:
        data = ClientSearchInput(data=request.data)
        data.is_valid(raise_exception=True)
        found = reads.client_search(actor=actor_of(request), **data.validated_data)
        return Response({"results": [summary(c, identity) for c, identity in found]})


class ClientEraseApi(APIView):
    """Crypto-shred a client (supervisors): its data key is destroyed; this cannot be undone."""

    permission_classes = [Eraser]

    @extend_schema(request=ClientEraseInput, responses={200: ClientOutput})
    def post(self, request: Request, client_id: uuid.UUID) -> Response:
        actor = actor_of(request)
        client = client_get_for(actor=actor, client_id=client_id, need=WRITE)
        ClientEraseInput(data=request.data).is_valid(raise_exception=True)
        client = services.client_erase(actor=actor, client=client)
        return Response(render(client, {}))
