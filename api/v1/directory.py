"""The directory as Open Referral HSDS 3.0 JSON (a `Page` of services), for other directories."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.hsds import HSDS_VERSION, hsds_directory_page
from api.permissions import Authenticated
from api.serializers import StrictQuery


class HsdsQuery(StrictQuery):
    page = serializers.IntegerField(min_value=1, default=1)
    per_page = serializers.IntegerField(min_value=1, max_value=100, default=50)


class DirectoryHsdsApi(APIView):
    """Every program of every active agency as HSDS 3.0 services (HSDS page/per_page paging)."""

    permission_classes = [Authenticated]

    @extend_schema(parameters=[HsdsQuery], responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        query = HsdsQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        response = Response(hsds_directory_page(**query.validated_data))
        response["HSDS-Version"] = HSDS_VERSION
        return response
