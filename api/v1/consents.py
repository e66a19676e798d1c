"""Consents: record a grant or refusal for a client, list them, read one, revoke one."""

from __future__ import annotations

import uuid
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.base import actor_of
from api.idempotency import idempotent
from api.pagination import CreatedCursorPagination
from api.permissions import allow
from api.serializers import AgencyRef, StrictInput
from clients.categories import Category
from clients.selectors import CONSENT, client_get_for
from consent import selectors, services
from consent.models import (
    Consent,
    ConsentStatus,
    Method,
    Purpose,
    SignedBy,
    SignerRelationship,
)
from consent.policy import consent_is_active, consent_shown_status
from consent.reads import consent_free_text
from core.roles import CASE_ROLES, Scope

_CASE = tuple(CASE_ROLES)
WRITERS = allow(roles=_CASE, scope=Scope.CONSENT_WRITE)
READERS = allow(roles=_CASE, scope=Scope.CLIENTS_READ)
# A recipient integration reads the consent behind a referral with `referrals:read`.
RECIPIENT_READERS = allow(roles=_CASE, scope=Scope.REFERRALS_READ)


class ConsentHistoryOutput(serializers.Serializer):
    from_status = serializers.CharField()
    to_status = serializers.ChoiceField(choices=ConsentStatus.choices)
    reason = serializers.CharField()
    at = serializers.DateTimeField()


class ConsentOutput(serializers.Serializer):
    id = serializers.UUIDField()
    client_id = serializers.UUIDField()
    agency_id = serializers.UUIDField(help_text="The recording agency (the client's own).")
    recipient_agency_id = serializers.UUIDField()
    recipient_agency = AgencyRef(help_text="Read-only: `recipient_agency_id` with the name.")
    categories = serializers.ListField(child=serializers.ChoiceField(choices=Category.choices))
    purpose = serializers.ChoiceField(choices=Purpose.choices)
    valid_from = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    method = serializers.ChoiceField(choices=Method.choices)
    signed_by = serializers.ChoiceField(choices=SignedBy.choices)
    signer_relationship = serializers.ChoiceField(choices=SignerRelationship.choices)
    informed = serializers.BooleanField()
    evidence_sha256 = serializers.CharField()
    special_categories_acknowledged = serializers.BooleanField()
    status = serializers.SerializerMethodField(
        help_text="`active`, `revoked`, `expired` (by time, even before the job records it) "
        "or `refused` (the `status` list filter matches this value)."
    )
    in_effect = serializers.SerializerMethodField(
        help_text="True if this consent permits disclosure right now (`active` and past "
        "`valid_from`)."
    )
    revoked_at = serializers.DateTimeField(allow_null=True)
    history = ConsentHistoryOutput(many=True, source="history.all")
    created_at = serializers.DateTimeField()

    @extend_schema_field(serializers.ChoiceField(choices=ConsentStatus.choices))
    def get_status(self, obj: Consent) -> str:
        return consent_shown_status(obj)

    def get_in_effect(self, obj: Consent) -> bool:
        return consent_is_active(obj)


class ConsentDetailOutput(ConsentOutput):
    purpose_detail = serializers.CharField(
        allow_null=True,
        required=False,
        help_text="Free text; only the client's own agency sees it (absent for a recipient).",
    )
    revoke_reason = serializers.CharField(
        allow_null=True,
        required=False,
        help_text="Free text; only the client's own agency sees it (absent for a recipient).",
    )


class ConsentCreateInput(StrictInput):
    status = serializers.ChoiceField(
        choices=[ConsentStatus.ACTIVE, ConsentStatus.REFUSED],
        required=False,
        default=ConsentStatus.ACTIVE,
        help_text="`active` records a grant (the default); `refused` records a refusal.",
    )
    recipient_agency_id = serializers.UUIDField()
    categories = serializers.ListField(
        child=serializers.ChoiceField(choices=Category.choices), min_length=1, max_length=6
    )
    purpose = serializers.ChoiceField(choices=Purpose.choices)
    purpose_detail = serializers.CharField(
        max_length=1000, required=False, allow_blank=True, default=""
    )
    valid_from = serializers.DateTimeField(required=False, help_text="Defaults to now.")
    expires_at = serializers.DateTimeField(
        required=False, help_text="Required for a grant; at most CONSENT_MAX_DAYS after start."
    )
    method = serializers.ChoiceField(choices=Method.choices)
    signed_by = serializers.ChoiceField(choices=SignedBy.choices)
    signer_relationship = serializers.ChoiceField(
        choices=SignerRelationship.choices, required=False
    )
    informed = serializers.BooleanField(required=False, default=False)
    evidence_sha256 = serializers.RegexField(
        r"^[0-9a-fA-F]{64}$", required=False, default="", allow_blank=True
    )
    special_categories_acknowledged = serializers.BooleanField(required=False, default=False)


class ConsentRevokeInput(StrictInput):
    reason = serializers.CharField(max_length=1000)


def render_consent(request: Request, consent: Consent) -> dict[str, Any]:
    """The client's own agency sees the sealed free text; a recipient sees metadata only."""
    free_text = consent_free_text(actor=actor_of(request), consent=consent)
    body = dict(ConsentOutput(consent).data)
    return body if free_text is None else {**body, **free_text}


def _replay(view: Any, request: Request, resource_id: str) -> Response:
    consent = selectors.consent_get_for(actor=actor_of(request), consent_id=uuid.UUID(resource_id))
    return Response(render_consent(request, consent))


class ConsentListCreateApi(GenericAPIView):
    """A client's consents (newest first) and recording a new grant or refusal."""

    pagination_class = CreatedCursorPagination
    serializer_class = ConsentOutput

    def get_permissions(self):  # type: ignore[no-untyped-def]
        return [WRITERS()] if self.request.method == "POST" else [READERS()]

    @extend_schema(
        responses={200: ConsentOutput(many=True)},
        parameters=[
            OpenApiParameter("status", str, enum=ConsentStatus.values),
            OpenApiParameter("recipient_agency_id", uuid.UUID),
        ],
    )
    def get(self, request: Request, client_id: uuid.UUID) -> Response:
        client = client_get_for(actor=actor_of(request), client_id=client_id)
        rows = selectors.consent_qs_for_client(client=client)
        rows = selectors.consent_filter(rows, **request.query_params.dict())
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ConsentOutput(page, many=True).data)

    @extend_schema(request=ConsentCreateInput, responses={201: ConsentDetailOutput})
    @idempotent(replay=_replay)
    def post(self, request: Request, client_id: uuid.UUID) -> Response:
        actor = actor_of(request)
        client = client_get_for(actor=actor, client_id=client_id, need=CONSENT)
        data = ConsentCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        record = (
            services.consent_refuse if fields.pop("status") == "refused" else services.consent_grant
        )
        consent = record(actor=actor, client=client, terms=services.ConsentTerms(**fields))
        return Response(render_consent(request, consent), status=status.HTTP_201_CREATED)


class ConsentDetailApi(APIView):
    """One consent: full for the client's agency, metadata for a recipient relying on it."""

    permission_classes = [READERS | WRITERS | RECIPIENT_READERS]

    @extend_schema(responses={200: ConsentDetailOutput})
    def get(self, request: Request, consent_id: uuid.UUID) -> Response:
        consent = selectors.consent_get_for(actor=actor_of(request), consent_id=consent_id)
        return Response(render_consent(request, consent))


class ConsentRevokeApi(APIView):
    """Revoke a consent now; recipients holding referrals under it get `consent.revoked`."""

    permission_classes = [WRITERS]

    @extend_schema(request=ConsentRevokeInput, responses={200: ConsentDetailOutput})
    @idempotent(replay=_replay)
    def post(self, request: Request, consent_id: uuid.UUID) -> Response:
        actor = actor_of(request)
        consent = selectors.consent_get_for_revoke(actor=actor, consent_id=consent_id)
        data = ConsentRevokeInput(data=request.data)
        data.is_valid(raise_exception=True)
        consent = services.consent_revoke(actor=actor, consent=consent, **data.validated_data)
        return Response(render_consent(request, consent))
