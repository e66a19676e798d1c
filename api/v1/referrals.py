"""Referrals between agencies: create, inbox/outbox, read (consent-gated), transitions, assign,
attach a consent, messages, history, and a read-only FHIR view."""

from __future__ import annotations

import uuid
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.base import actor_of
from api.idempotency import idempotent
from api.pagination import CreatedCursorPagination, PriorityCursorPagination
from api.permissions import allow
from api.v1.referral_io import (
    ReferralAssignInput,
    ReferralConsentAttachInput,
    ReferralCreateInput,
    ReferralHistoryPageOutput,
    ReferralListItemOutput,
    ReferralListQuery,
    ReferralMessageInput,
    ReferralMessageOutput,
    ReferralOutput,
    ReferralSummaryOutput,
    ReferralTransitionInput,
    referral_detail,
    referral_history,
    referral_list_item,
    referral_summary,
)
from core.errors import ValidationFailed
from core.roles import CASE_ROLES, Role, Scope
from referrals import services
from referrals.fhir import referral_bundle
from referrals.reads import (
    MessageView,
    referral_history_read,
    referral_messages_read,
    referral_read,
)
from referrals.selectors import (
    BY_PRIORITY,
    referral_get_for,
    referral_messages,
    referral_pages_for,
    referral_sort,
)
from referrals.summary import referral_list_read, referral_summary_of

CASE = tuple(CASE_ROLES)
READ = allow(roles=CASE, scope=Scope.REFERRALS_READ)
WRITE = allow(roles=CASE, scope=Scope.REFERRALS_WRITE)


def _etag(response: Response, version: int) -> Response:
    response["ETag"] = f'"{version}"'
    return response


def _if_match(request: Request) -> int | None:
    """The version named by an `If-Match: "<version>"` header, if any."""
    raw = request.headers.get("If-Match")
    if raw is None:
        return None
    try:
        return int(raw.strip().removeprefix("W/").strip('"'))
    except ValueError:
        raise ValidationFailed('If-Match must be a referral ETag such as "3".') from None


def _summary(request: Request, referral: Any, code: int = status.HTTP_200_OK) -> Response:
    shown = referral_summary_of(actor=actor_of(request), referral=referral)
    return _etag(Response(referral_summary(shown), status=code), referral.version)


def _replay_referral(view: Any, request: Request, resource_id: str) -> Response:
    referral = referral_get_for(
        actor=actor_of(request), referral_id=uuid.UUID(resource_id), write=True
    )
    return _summary(request, referral, status.HTTP_201_CREATED)


class ReferralCollectionApi(GenericAPIView):
    """`GET`: your agency's referrals (inbox and/or outbox). `POST`: send a referral."""

    pagination_class = CreatedCursorPagination
    serializer_class = ReferralListItemOutput

    def get_permissions(self):  # type: ignore[no-untyped-def]
        return [READ() if self.request.method == "GET" else WRITE()]

    @extend_schema(
        parameters=[ReferralListQuery], responses={200: ReferralListItemOutput(many=True)}
    )
    def get(self, request: Request) -> Response:
        actor = actor_of(request)
        query = ReferralListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = query.validated_data
        filters["sort"] = referral_sort(box=filters.get("box"), sort=filters.get("sort"))
        if filters["sort"] == BY_PRIORITY:
            self._paginator = PriorityCursorPagination()
        page = self.paginate_queryset(referral_pages_for(actor, **filters))  # type: ignore[arg-type]
        items = referral_list_read(actor=actor, referrals=list(page or []))
        return self.get_paginated_response([referral_list_item(i) for i in items])

    @extend_schema(request=ReferralCreateInput, responses={201: ReferralSummaryOutput})
    @idempotent(replay=_replay_referral)
    def post(self, request: Request) -> Response:
        data = ReferralCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        referral = services.referral_create(
            actor=actor_of(request),
            client_id=fields["client_id"],
            recipient_agency_id=fields["recipient_agency_id"],
            program_id=fields["program_id"],
            consent_id=fields["consent_id"],
            service_type=fields["service_type"],
            priority=fields["priority"],
            reason=fields["reason"],
            draft=fields["draft"],
        )
        return _summary(request, referral, status.HTTP_201_CREATED)


class ReferralDetailApi(APIView):
    """One referral; the recipient sees only the client categories consent permits now."""

    permission_classes = [READ]

    @extend_schema(responses={200: ReferralOutput})
    def get(self, request: Request, referral_id: uuid.UUID) -> Response:
        actor = actor_of(request)
        referral = referral_get_for(actor=actor, referral_id=referral_id)
        view = referral_read(actor=actor, referral=referral)
        return _etag(Response(referral_detail(view)), referral.version)


class ReferralTransitionApi(APIView):
    """Move a referral to a new status (DESIGN §4); `version` or `If-Match` guard lost updates."""

    permission_classes = [WRITE]

    @extend_schema(
        request=ReferralTransitionInput,
        responses={200: ReferralSummaryOutput},
        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER, required=False)],
    )
    @idempotent()
    def post(self, request: Request, referral_id: uuid.UUID) -> Response:
        actor = actor_of(request)
        data = ReferralTransitionInput(data=request.data)
        data.is_valid(raise_exception=True)
        referral = services.referral_transition(
            actor=actor,
            referral=referral_get_for(actor=actor, referral_id=referral_id, write=True),
            to=data.validated_data["to"],
            reason=data.validated_data["reason"],
            expected_version=data.validated_data["version"],
            if_match=_if_match(request),
        )
        return _summary(request, referral)


class ReferralAssignApi(APIView):
    """Assign a received referral to one of your caseworkers (recipient supervisors)."""

    permission_classes = [allow(roles=(Role.SUPERVISOR,))]

    @extend_schema(request=ReferralAssignInput, responses={200: ReferralSummaryOutput})
    @idempotent()
    def post(self, request: Request, referral_id: uuid.UUID) -> Response:
        actor = actor_of(request)
        data = ReferralAssignInput(data=request.data)
        data.is_valid(raise_exception=True)
        referral = services.referral_assign(
            actor=actor,
            referral=referral_get_for(actor=actor, referral_id=referral_id),
            assignee_id=data.validated_data["assignee_id"],
            expected_version=data.validated_data["version"],
        )
        return _summary(request, referral)


class ReferralConsentAttachApi(APIView):
    """Put the referral under another consent (the sender): in effect, same client and
    recipient, purpose fitting the service; the recipient gets `referral.consent_changed`."""

    permission_classes = [WRITE]

    @extend_schema(request=ReferralConsentAttachInput, responses={200: ReferralSummaryOutput})
    @idempotent()
    def post(self, request: Request, referral_id: uuid.UUID) -> Response:
        actor = actor_of(request)
        data = ReferralConsentAttachInput(data=request.data)
        data.is_valid(raise_exception=True)
        referral = services.referral_consent_attach(
            actor=actor,
            referral=referral_get_for(actor=actor, referral_id=referral_id, write=True),
            consent_id=data.validated_data["consent_id"],
            expected_version=data.validated_data["version"],
        )
        return _summary(request, referral)


class ReferralHistoryApi(APIView):
    """Every status change, oldest first: when, from, to, which party, and the reason where
    you may see it (your agency's own; the other party's as the referral's consent allows)."""

    permission_classes = [READ]

    @extend_schema(responses={200: ReferralHistoryPageOutput})
    def get(self, request: Request, referral_id: uuid.UUID) -> Response:
        actor = actor_of(request)
        referral = referral_get_for(actor=actor, referral_id=referral_id)
        return Response(referral_history(referral_history_read(actor=actor, referral=referral)))


def _replay_message(view: Any, request: Request, resource_id: str) -> Response:
    actor = actor_of(request)
    referral = referral_get_for(actor=actor, referral_id=view.kwargs["referral_id"], write=True)
    messages = list(referral_messages(referral=referral).filter(pk=resource_id))
    shown = referral_messages_read(actor=actor, referral=referral, messages=messages)
    return Response(ReferralMessageOutput(shown[0]).data, status=status.HTTP_201_CREATED)


class ReferralMessagesApi(GenericAPIView):
    """Messages between the two agencies of a referral (newest first); bodies sealed at rest."""

    pagination_class = CreatedCursorPagination
    serializer_class = ReferralMessageOutput

    def get_permissions(self):  # type: ignore[no-untyped-def]
        return [READ() if self.request.method == "GET" else WRITE()]

    @extend_schema(responses={200: ReferralMessageOutput(many=True)})
    def get(self, request: Request, referral_id: uuid.UUID) -> Response:
        actor = actor_of(request)
        referral = referral_get_for(actor=actor, referral_id=referral_id)
        page = self.paginate_queryset(referral_messages(referral=referral))
        shown = referral_messages_read(actor=actor, referral=referral, messages=list(page or []))
        return self.get_paginated_response(ReferralMessageOutput(shown, many=True).data)

    @extend_schema(request=ReferralMessageInput, responses={201: ReferralMessageOutput})
    @idempotent(replay=_replay_message)
    def post(self, request: Request, referral_id: uuid.UUID) -> Response:
        actor = actor_of(request)
        referral = referral_get_for(actor=actor, referral_id=referral_id, write=True)
        data = ReferralMessageInput(data=request.data)
        data.is_valid(raise_exception=True)
        message = services.referral_message_add(
            actor=actor, referral=referral, body=data.validated_data["body"]
        )
        shown = MessageView(message, data.validated_data["body"])  # the poster's own words
        return Response(ReferralMessageOutput(shown).data, status=status.HTTP_201_CREATED)


class ReferralFhirApi(APIView):
    """The referral as a FHIR R4 Bundle (Task, ServiceRequest, Consent); no client fields."""

    permission_classes = [READ]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, referral_id: uuid.UUID) -> Response:
        actor = actor_of(request)
        referral = referral_get_for(actor=actor, referral_id=referral_id)
        services.referral_fhir_viewed(actor=actor, referral=referral)
        return _etag(Response(referral_bundle(referral)), referral.version)
