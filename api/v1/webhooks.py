"""Webhook subscriptions of your own agency, their deliveries and manual redelivery."""

from __future__ import annotations

import uuid

from drf_spectacular.utils import extend_schema
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
from webhooks import selectors, services
from webhooks.events import EVENT_TYPES, WILDCARD
from webhooks.models import DeliveryStatus

# Agency admins, or partner systems holding the webhooks:write scope.
WEBHOOK_MANAGERS = allow(roles=tuple(selectors.MANAGER_ROLES), scope=selectors.MANAGER_SCOPE)
_TYPES = [*sorted(EVENT_TYPES), WILDCARD]


class WebhookOutput(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.CharField()
    event_types = serializers.ListField(child=serializers.ChoiceField(choices=_TYPES))
    active = serializers.BooleanField()
    description = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class WebhookWithSecretOutput(WebhookOutput):
    secret = serializers.CharField(
        allow_null=True, help_text="`whsec_...`: shown only in this response; store it now."
    )


class WebhookCreateInput(StrictInput):
    url = serializers.CharField(max_length=2000)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=_TYPES), min_length=1, max_length=20
    )
    active = serializers.BooleanField(required=False, default=True)
    description = serializers.CharField(
        max_length=200, required=False, default="", allow_blank=True
    )


class WebhookUpdateInput(WebhookCreateInput):
    url = serializers.CharField(max_length=2000, required=False)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=_TYPES), min_length=1, max_length=20, required=False
    )
    active = serializers.BooleanField(required=False)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)


class WebhookAttemptOutput(serializers.Serializer):
    attempted_at = serializers.DateTimeField()
    status_code = serializers.IntegerField(allow_null=True)
    error_class = serializers.CharField()
    duration_ms = serializers.IntegerField()
    response_excerpt = serializers.CharField()
    next_retry_at = serializers.DateTimeField(allow_null=True)


class WebhookDeliveryOutput(serializers.Serializer):
    id = serializers.UUIDField()
    subscription_id = serializers.UUIDField()
    event_id = serializers.UUIDField(source="event.event_id", help_text="The `webhook-id` header.")
    event_type = serializers.CharField(source="event.type")
    status = serializers.ChoiceField(choices=DeliveryStatus.choices)
    attempt_count = serializers.IntegerField()
    last_status_code = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    give_up_at = serializers.DateTimeField()
    delivered_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    attempts = WebhookAttemptOutput(many=True, source="recent_attempts")


def _with_secret(subscription: object, secret: str | None) -> dict[str, object]:
    return {**WebhookOutput(subscription).data, "secret": secret}


def _replay_create(view: object, request: Request, resource_id: str) -> Response:
    """An idempotent replay re-renders the subscription; the secret is never stored to replay."""
    sub = selectors.subscription_get_for(
        actor=actor_of(request), subscription_id=uuid.UUID(resource_id)
    )
    return Response(_with_secret(sub, None))


class WebhookListCreateApi(GenericAPIView):
    """Your agency's webhook subscriptions; POST creates one and returns its secret once."""

    permission_classes = [WEBHOOK_MANAGERS]
    pagination_class = CreatedCursorPagination
    serializer_class = WebhookOutput

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.subscription_qs_for(actor=actor_of(self.request))

    @extend_schema(responses={200: WebhookOutput(many=True)})
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(WebhookOutput(page, many=True).data)

    @extend_schema(request=WebhookCreateInput, responses={201: WebhookWithSecretOutput})
    @idempotent(replay=_replay_create)
    def post(self, request: Request) -> Response:
        data = WebhookCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        sub, secret = services.subscription_create(actor=actor_of(request), **data.validated_data)
        return Response(_with_secret(sub, secret), status=status.HTTP_201_CREATED)


class WebhookDetailApi(APIView):
    """One subscription of your agency (other agencies' are 404)."""

    permission_classes = [WEBHOOK_MANAGERS]

    @extend_schema(responses={200: WebhookOutput})
    def get(self, request: Request, subscription_id: uuid.UUID) -> Response:
        sub = selectors.subscription_get_for(
            actor=actor_of(request), subscription_id=subscription_id
        )
        return Response(WebhookOutput(sub).data)

    @extend_schema(request=WebhookUpdateInput, responses={200: WebhookOutput})
    def patch(self, request: Request, subscription_id: uuid.UUID) -> Response:
        actor = actor_of(request)
        sub = selectors.subscription_get_for(actor=actor, subscription_id=subscription_id)
        data = WebhookUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        sub = services.subscription_update(actor=actor, subscription=sub, **data.validated_data)
        return Response(WebhookOutput(sub).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, subscription_id: uuid.UUID) -> Response:
        actor = actor_of(request)
        sub = selectors.subscription_get_for(actor=actor, subscription_id=subscription_id)
        services.subscription_delete(actor=actor, subscription=sub)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookRotateSecretApi(APIView):
    """A new signing secret, returned once; the previous one keeps signing for a grace period."""

    permission_classes = [WEBHOOK_MANAGERS]

    @extend_schema(request=None, responses={200: WebhookWithSecretOutput})
    def post(self, request: Request, subscription_id: uuid.UUID) -> Response:
        actor = actor_of(request)
        sub = selectors.subscription_get_for(actor=actor, subscription_id=subscription_id)
        sub, secret = services.subscription_rotate_secret(actor=actor, subscription=sub)
        return Response(_with_secret(sub, secret))


class WebhookDeliveryListApi(GenericAPIView):
    """Deliveries of one subscription, newest first, with their latest attempts."""

    permission_classes = [WEBHOOK_MANAGERS]
    pagination_class = CreatedCursorPagination
    serializer_class = WebhookDeliveryOutput

    @extend_schema(responses={200: WebhookDeliveryOutput(many=True)})
    def get(self, request: Request, subscription_id: uuid.UUID) -> Response:
        actor = actor_of(request)
        sub = selectors.subscription_get_for(actor=actor, subscription_id=subscription_id)
        page = self.paginate_queryset(selectors.delivery_qs_for(actor=actor, subscription=sub))
        return self.get_paginated_response(WebhookDeliveryOutput(page, many=True).data)


class WebhookRedeliverApi(APIView):
    """Queue a delivery again now (same `webhook-id`, so receivers still de-duplicate)."""

    permission_classes = [WEBHOOK_MANAGERS]

    @extend_schema(request=None, responses={202: WebhookDeliveryOutput})
    def post(self, request: Request, delivery_id: uuid.UUID) -> Response:
        actor = actor_of(request)
        delivery = selectors.delivery_get_for(actor=actor, delivery_id=delivery_id)
        delivery = services.delivery_redeliver(actor=actor, delivery=delivery)
        delivery = selectors.delivery_with_attempts(actor=actor, delivery_id=delivery.id)
        return Response(WebhookDeliveryOutput(delivery).data, status=status.HTTP_202_ACCEPTED)
