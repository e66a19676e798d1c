"""`/api/v1/me`: who the caller is, as the server resolved it just now; your own sessions and
password."""

from __future__ import annotations

import uuid
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import sessions, users
from accounts.selectors import session_get, sessions_live, user_of
from agencies.models import Agency
from api.base import actor_of, client_ip
from api.pagination import CreatedCursorPagination
from api.permissions import Authenticated, allow
from api.serializers import AgencyRef, StrictInput
from core.roles import Role

USERS = allow(roles=tuple(Role.values))


class MeOutput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["user", "integration"])
    id = serializers.UUIDField()
    username = serializers.CharField()
    agency_id = serializers.UUIDField()
    agency = AgencyRef(help_text="Read-only: `agency_id` with the name.")
    role = serializers.CharField(allow_null=True)
    scopes = serializers.ListField(child=serializers.CharField())


class SessionOutput(serializers.Serializer):
    id = serializers.UUIDField()
    started_at = serializers.DateTimeField(source="created_at")
    last_used_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    ip = serializers.CharField()
    user_agent = serializers.CharField()
    current = serializers.BooleanField()


class PasswordChangeInput(StrictInput):
    current_password = serializers.CharField(max_length=256, trim_whitespace=False)
    new_password = serializers.CharField(max_length=256, trim_whitespace=False)


class PasswordChangeOutput(serializers.Serializer):
    other_sessions_revoked = serializers.IntegerField()


def _family_id(request: Request) -> uuid.UUID | None:
    claims: Any = request.auth
    try:
        return uuid.UUID(str(claims.get("fam")))
    except (AttributeError, ValueError):
        return None


def sessions_output(families: Any, current: uuid.UUID | None) -> list[dict[str, Any]]:
    rows = SessionOutput([{**vars(f), "current": f.pk == current} for f in families], many=True)
    return list(rows.data)


class SessionListView(GenericAPIView):
    """Base of the two session lists: newest first, cursor-paginated."""

    pagination_class = CreatedCursorPagination
    serializer_class = SessionOutput

    def sessions_page(self, user: Any, current: uuid.UUID | None) -> Response:
        page = self.paginate_queryset(sessions_live(user))
        return self.get_paginated_response(sessions_output(page, current))


class MeApi(APIView):
    """The authenticated caller: kind, agency, and role or scopes."""

    permission_classes = [Authenticated]

    @extend_schema(responses={200: MeOutput})
    def get(self, request: Request) -> Response:
        actor = actor_of(request)
        agency = Agency.objects.only("id", "name").get(pk=str(actor.agency_id))
        return Response(
            MeOutput(
                {
                    "kind": actor.kind,
                    "id": actor.id,
                    "username": actor.username,
                    "agency_id": agency.id,
                    "agency": {"id": agency.id, "name": agency.name},
                    "role": actor.role,
                    "scopes": sorted(actor.scopes),
                }
            ).data
        )


class MySessionListApi(SessionListView):
    """Your sessions still in force (one per sign-in), newest first; `current` is this one."""

    permission_classes = [USERS]

    @extend_schema(responses={200: SessionOutput(many=True)})
    def get(self, request: Request) -> Response:
        return self.sessions_page(user_of(actor_of(request)), _family_id(request))


class MySessionRevokeApi(APIView):
    """Sign one of your sessions out (its refresh and access tokens stop at once)."""

    permission_classes = [USERS]

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request, family_id: uuid.UUID) -> Response:
        actor = actor_of(request)
        user = user_of(actor)
        family = session_get(user=user, family_id=family_id)
        sessions.session_revoke(actor=actor, user=user, family=family)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MyPasswordApi(APIView):
    """Change your password (current one required); every other session of yours ends."""

    permission_classes = [USERS]

    @extend_schema(request=PasswordChangeInput, responses={200: PasswordChangeOutput})
    def post(self, request: Request) -> Response:
        actor = actor_of(request)
        data = PasswordChangeInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_of(actor)
        current = _family_id(request)
        keep = sessions_live(user).filter(pk=current).first() if current else None
        revoked = users.user_password_change(
            actor=actor,
            user=user,
            current=data.validated_data["current_password"],
            new=data.validated_data["new_password"],
            ip=client_ip(request),
            keep=keep,
        )
        return Response({"other_sessions_revoked": revoked})
