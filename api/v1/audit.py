"""Compliance API: the agency's audit trail, its verification, signed exports, the public key."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.base import actor_of
from api.pagination import IdCursorPagination
from api.permissions import Authenticated, allow
from api.serializers import StrictInput, StrictQuery
from audit import signing
from audit.checkpoints import checkpoint_dict, checkpoint_request
from audit.exports import audit_export_create
from audit.models import Outcome
from audit.selectors import audit_agency_of, audit_event_list_for
from audit.verify import verify_chains
from core.errors import ValidationFailed

# Compliance officers, or partner systems holding `audit:read`; everyone else gets 403.
AUDIT_READERS = allow(roles=("compliance_officer",), scope="audit:read")


class AuditEventOutput(serializers.Serializer):
    id = serializers.IntegerField(help_text="Global order across chains (the cursor order).")
    event_id = serializers.UUIDField()
    chain = serializers.CharField()
    seq = serializers.IntegerField()
    occurred_at = serializers.DateTimeField()
    actor_kind = serializers.CharField()
    actor_id = serializers.CharField()
    actor_agency_id = serializers.UUIDField(allow_null=True)
    actor_role = serializers.CharField()
    auth_method = serializers.CharField()
    action = serializers.CharField()
    object_type = serializers.CharField()
    object_id = serializers.CharField()
    subject_ref = serializers.CharField(
        help_text="Your agency's pseudonym of the client (HMAC; another agency sees another value)."
    )
    target_agency_id = serializers.UUIDField(
        allow_null=True, help_text="The other agency the event names (recipient, reader)."
    )
    subject_agency_id = serializers.UUIDField(
        allow_null=True, help_text="The agency that owns the data (the client's agency)."
    )
    shared_agency_id = serializers.UUIDField(
        allow_null=True, help_text="The recipient of the sent referral the event is about."
    )
    purpose = serializers.CharField()
    consent_id = serializers.UUIDField(allow_null=True)
    categories = serializers.ListField(child=serializers.CharField())
    outcome = serializers.CharField()
    reason = serializers.CharField()
    request_id = serializers.CharField()
    route = serializers.CharField()
    ip = serializers.CharField()
    user_agent = serializers.CharField()
    prev_hash = serializers.CharField()
    hash = serializers.CharField()
    intact = serializers.BooleanField(
        help_text="true: the event's MAC holds over every value shown (what the system wrote). "
        "false: the row was edited or forged since; run the verification "
        "(`GET /api/v1/audit/verify`), which names the first break, and tell your security "
        "contact."
    )


class AuditEventListQuery(StrictQuery):
    action = serializers.CharField(required=False, max_length=64)
    actor_id = serializers.CharField(
        required=False, max_length=64, help_text="actor (user/integration) id"
    )
    object_type = serializers.CharField(required=False, max_length=64)
    object_id = serializers.CharField(required=False, max_length=64)
    client_id = serializers.UUIDField(
        required=False, help_text="client id (matched via subject_ref)"
    )
    outcome = serializers.ChoiceField(choices=Outcome.choices, required=False)
    # `from` is a Python keyword: declared below.
    to = serializers.DateTimeField(required=False, help_text="occurred before (exclusive)")


AuditEventListQuery._declared_fields["from"] = serializers.DateTimeField(
    required=False, help_text="occurred at or after"
)
# The cursor pagination's own parameters.
_PAGING = ("cursor", "page_size")


def _known_filters_only(params: Any) -> None:
    """An unknown filter is a 400 naming the known ones (ignoring it would widen the search)."""
    known = sorted([*AuditEventListQuery._declared_fields, *_PAGING])
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise ValidationFailed(
            f"Unknown filter(s): {', '.join(u[:40] for u in unknown[:10])}.",
            field=unknown[0][:40],
            known_filters=known,
        )


class AuditEventListApi(GenericAPIView):
    """Events your agency performed, events on your agency's data by anyone (reads, disclosures,
    transitions, messages, refusals) and events about referrals sent to you; newest first."""

    permission_classes = [AUDIT_READERS]
    pagination_class = IdCursorPagination
    serializer_class = AuditEventOutput

    @extend_schema(parameters=[AuditEventListQuery], responses={200: AuditEventOutput(many=True)})
    def get(self, request: Request) -> Response:
        _known_filters_only(request.query_params)
        query = AuditEventListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        events = audit_event_list_for(
            actor=actor_of(request),
            action=data.get("action"),
            actor_id=data.get("actor_id"),
            object_type=data.get("object_type"),
            object_id=data.get("object_id"),
            client_id=data.get("client_id"),
            outcome=data.get("outcome"),
            occurred_from=data.get("from"),
            occurred_to=data.get("to"),
        )
        page = self.paginate_queryset(events)
        return self.get_paginated_response(AuditEventOutput(page, many=True).data)


class AuditBrokenOutput(serializers.Serializer):
    chain = serializers.CharField()
    seq = serializers.IntegerField()
    reason = serializers.CharField()


class AuditCheckpointOutput(serializers.Serializer):
    chain = serializers.CharField()
    seq = serializers.IntegerField()
    hash = serializers.CharField()
    time = serializers.CharField()
    key_id = serializers.CharField()
    # DRF pops declared fields off the class, so this does not shadow Field.source at runtime.
    source = serializers.CharField()  # type: ignore[assignment]
    signature_valid = serializers.BooleanField()


class AuditChainOutput(serializers.Serializer):
    chain = serializers.CharField()
    events_checked = serializers.IntegerField()
    last_seq = serializers.IntegerField()
    valid = serializers.BooleanField()
    first_broken_seq = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField()
    checkpoint = AuditCheckpointOutput(allow_null=True, help_text="the newest signed one")
    checkpoints_checked = serializers.IntegerField()
    unsigned_events = serializers.IntegerField(
        help_text="events after the newest signed checkpoint (not yet covered by a signature)"
    )
    seconds_since_checkpoint = serializers.FloatField(allow_null=True)
    archived_through_seq = serializers.IntegerField(
        help_text="events up to this seq were archived; verification starts after it"
    )


class AuditVerifyOutput(serializers.Serializer):
    valid = serializers.BooleanField()
    chains = AuditChainOutput(many=True)
    events_checked = serializers.IntegerField()
    first_broken = AuditBrokenOutput(allow_null=True)
    last_checkpoint = AuditCheckpointOutput(allow_null=True)
    unsigned_events = serializers.IntegerField()
    seconds_since_checkpoint = serializers.FloatField(allow_null=True)


class AuditVerifyApi(APIView):
    """Recompute your agency's chain and check it against the signed checkpoints."""

    permission_classes = [AUDIT_READERS]

    @extend_schema(responses={200: AuditVerifyOutput})
    def get(self, request: Request) -> Response:
        agency = audit_agency_of(actor_of(request))
        report = verify_chains([str(agency)])
        return Response(AuditVerifyOutput(report.as_dict()).data)


class AuditExportInput(StrictInput):
    from_seq = serializers.IntegerField(
        min_value=1, required=False, default=1, help_text="first seq of your chain to include"
    )
    to_seq = serializers.IntegerField(
        min_value=1, required=False, help_text="last seq to include (default: the head)"
    )
    to = serializers.DateTimeField(
        required=False, help_text="only events that occurred before (exclusive)"
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("to_seq") and attrs["to_seq"] < attrs["from_seq"]:
            raise serializers.ValidationError({"to_seq": ["Must not be below from_seq."]})
        if attrs.get("from") and attrs.get("to") and attrs["to"] <= attrs["from"]:
            raise serializers.ValidationError({"to": ["Must be after from."]})
        return attrs


AuditExportInput._declared_fields["from"] = serializers.DateTimeField(
    required=False, help_text="only events that occurred at or after"
)


class AuditExportCreateApi(APIView):
    """A signed JSONL export of your agency's trail (verify it with `audit.verify_export`)."""

    permission_classes = [AUDIT_READERS]

    @extend_schema(
        request=AuditExportInput,
        responses={
            (200, "application/jsonl"): OpenApiResponse(
                response=OpenApiTypes.STR, description="JSONL: header, events, checkpoint, footer"
            )
        },
    )
    def post(self, request: Request) -> Any:
        data = AuditExportInput(data=request.data)
        data.is_valid(raise_exception=True)
        given = data.validated_data
        export = audit_export_create(
            actor=actor_of(request),
            from_seq=given["from_seq"],
            to_seq=given.get("to_seq"),
            occurred_from=given.get("from"),
            occurred_to=given.get("to"),
        )
        response = HttpResponse(export.body, content_type="application/jsonl")
        response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
        response["X-Export-Id"] = str(export.export_id)
        return response


class AuditCheckpointCreateApi(APIView):
    """Sign a checkpoint of your agency's chain now (after verifying it); audited.

    409 `audit_inconsistent` when the chain does not verify from the previous signed checkpoint:
    nothing is signed and an `audit.inconsistent` event is recorded.
    """

    permission_classes = [AUDIT_READERS]

    @extend_schema(request=None, responses={201: AuditCheckpointOutput})
    def post(self, request: Request) -> Response:
        checkpoint = checkpoint_request(actor=actor_of(request))
        return Response(AuditCheckpointOutput(checkpoint_dict(checkpoint)).data, status=201)


class AuditRetiredKeyOutput(serializers.Serializer):
    key_id = serializers.CharField()
    public_key = serializers.CharField()


class AuditPublicKeyOutput(serializers.Serializer):
    algorithm = serializers.CharField()
    key_id = serializers.CharField()
    public_key = serializers.CharField(help_text="raw 32-byte Ed25519 public key, base64")
    public_key_pem = serializers.CharField()
    retired = AuditRetiredKeyOutput(
        many=True, help_text="keys that signed older checkpoints, by key id (after a rotation)"
    )


class AuditPublicKeyApi(APIView):
    """The Ed25519 key that signs checkpoints and exports (any authenticated caller)."""

    permission_classes = [Authenticated]

    @extend_schema(responses={200: AuditPublicKeyOutput})
    def get(self, request: Request) -> Response:
        body = {
            "algorithm": "Ed25519",
            "key_id": signing.key_id(),
            "public_key": signing.public_key_b64(),
            "public_key_pem": signing.public_key_pem(),
            "retired": signing.retired_keys(),
        }
        return Response(AuditPublicKeyOutput(body).data)
