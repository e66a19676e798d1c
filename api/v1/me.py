"""`GET /api/v1/me`: who the caller is, as the server resolved it just now."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.models import Agency
from api.base import actor_of
from api.permissions import Authenticated
from api.serializers import AgencyRef


class MeOutput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["user", "integration"])
    id = serializers.UUIDField()
    username = serializers.CharField()
    agency = AgencyRef()
    role = serializers.CharField(allow_null=True)
    scopes = serializers.ListField(child=serializers.CharField())


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
                    "agency": {"id": agency.id, "name": agency.name},
                    "role": actor.role,
                    "scopes": sorted(actor.scopes),
                }
            ).data
        )
