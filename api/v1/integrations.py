"""Your agency's partner integrations (agency admins): list, create, rotate the secret, revoke.

Secrets are shown once, in the response that made them. After a rotation the previous secret
works until `previous_secret_expires_at` (INTEGRATION_SECRET_GRACE_HOURS, default 24 h).
"""

from __future__ import annotations

import uuid

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import integrations
from accounts.models import Integration
from accounts.selectors import agency_of, integration_get_for, integration_qs_for
from api.base import actor_of
from api.pagination import CreatedCursorPagination
from api.permissions import allow
from api.serializers import StrictInput
from core.roles import Role, Scope

ADMINS = allow(roles=(Role.AGENCY_ADMIN,))


class IntegrationOutput(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    client_id = serializers.CharField()
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=Scope.choices))
    is_active = serializers.BooleanField()
    secret_rotated_at = serializers.DateTimeField(allow_null=True)
    previous_secret_expires_at = serializers.DateTimeField(
        allow_null=True, help_text="Until then the secret before the last rotation still works."
    )
    revoked_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class IntegrationSecretOutput(IntegrationOutput):
    client_secret = serializers.CharField(help_text="Shown only in this response; store it now.")


class IntegrationCreateInput(StrictInput):
    name = serializers.CharField(max_length=120)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=Scope.choices), min_length=1, max_length=20
    )


def _with_secret(integration: Integration, secret: str) -> dict[str, object]:
    return {**IntegrationOutput(integration).data, "client_secret": secret}


class IntegrationListApi(GenericAPIView):
    """Your agency's integrations; POST registers one (its secret, once)."""

    permission_classes = [ADMINS]
    pagination_class = CreatedCursorPagination
    serializer_class = IntegrationOutput

    @extend_schema(responses={200: IntegrationOutput(many=True)})
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(integration_qs_for(actor_of(request)))
        return self.get_paginated_response(IntegrationOutput(page, many=True).data)

    @extend_schema(request=IntegrationCreateInput, responses={201: IntegrationSecretOutput})
    def post(self, request: Request) -> Response:
        actor = actor_of(request)
        data = IntegrationCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        integration, secret = integrations.integration_create(
            actor=actor, agency=agency_of(actor), **data.validated_data
        )
        return Response(_with_secret(integration, secret), status=status.HTTP_201_CREATED)


class IntegrationRotateSecretApi(APIView):
    """A new secret, once; the previous one keeps working for the grace period."""

    permission_classes = [ADMINS]

    @extend_schema(request=None, responses={200: IntegrationSecretOutput})
    def post(self, request: Request, integration_id: uuid.UUID) -> Response:
        actor = actor_of(request)
        integration = integration_get_for(actor=actor, integration_id=integration_id)
        integration, secret = integrations.integration_rotate_secret(
            actor=actor, integration=integration
        )
        return Response(_with_secret(integration, secret))


class IntegrationRevokeApi(APIView):
    """Revoke for good: no secret works and its tokens stop on their next request."""

    permission_classes = [ADMINS]

    @extend_schema(request=None, responses={200: IntegrationOutput})
    def post(self, request: Request, integration_id: uuid.UUID) -> Response:
        actor = actor_of(request)
        integration = integration_get_for(actor=actor, integration_id=integration_id)
        integration = integrations.integration_revoke(actor=actor, integration=integration)
        return Response(IntegrationOutput(integration).data)
