"""Outcome reports for your agency: aggregates only, small cells hidden where the
victim-service-provider rule applies. JSON, or CSV with `?format=csv`."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.base import actor_of
from api.permissions import allow
from api.renderers import ReportCsvRenderer
from api.serializers import StrictQuery
from reports.referrals import READERS, RECEIVED, SENT, current_month, referral_report

MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"


class ReportQuery(StrictQuery):
    direction = serializers.ChoiceField(choices=[SENT, RECEIVED], default=SENT)
    start = serializers.RegexField(MONTH, required=False, help_text="First month, YYYY-MM (UTC).")
    end = serializers.RegexField(MONTH, required=False, help_text="Last month, YYYY-MM.")


class ReportCellOutput(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.label
    count = serializers.IntegerField(allow_null=True, help_text="null when hidden.")
    suppressed = serializers.BooleanField()
    display = serializers.CharField(help_text='The count, or "<11" when hidden.')


class ReportFigureOutput(serializers.Serializer):
    value = serializers.FloatField(allow_null=True)
    suppressed = serializers.BooleanField()
    display = serializers.SerializerMethodField()

    def get_display(self, figure: Any) -> str:
        if figure.suppressed:
            return self.context.get("marker", "suppressed")
        return "" if figure.value is None else str(figure.value)


class ReportAgencyOutput(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class ReportSuppressionOutput(serializers.Serializer):
    applied = serializers.BooleanField(source="suppressed")
    threshold = serializers.IntegerField()
    reason = serializers.SerializerMethodField()

    def get_reason(self, report: Any) -> str:
        return "victim_service_provider" if report.suppressed else ""


class ReferralReportOutput(serializers.Serializer):
    agency_id = serializers.UUIDField(source="agency.id")
    agency = ReportAgencyOutput(help_text="Read-only: `agency_id` with the name.")
    direction = serializers.ChoiceField(choices=[SENT, RECEIVED])
    start = serializers.CharField()
    end = serializers.CharField()
    generated_at = serializers.DateTimeField()
    suppression = ReportSuppressionOutput(source="*")
    total = ReportCellOutput()
    by_status = ReportCellOutput(many=True)
    by_service_type = ReportCellOutput(many=True)
    by_partner_agency = ReportCellOutput(many=True)
    by_month = ReportCellOutput(many=True)
    median_hours_to_accept = ReportFigureOutput()
    median_hours_to_close = ReportFigureOutput()
    closed_loop_rate = ReportFigureOutput()


class ReferralReportApi(APIView):
    """Counts by status, service type, partner agency and month; medians; the closed-loop rate."""

    permission_classes = [allow(roles=READERS)]
    renderer_classes = [JSONRenderer, ReportCsvRenderer]

    @extend_schema(
        parameters=[ReportQuery],
        responses={
            (200, "application/json"): ReferralReportOutput,
            (200, "text/csv"): OpenApiTypes.STR,
        },
    )
    def get(self, request: Request) -> Response:
        query = ReportQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        start = query.validated_data.get("start") or current_month()
        end = query.validated_data.get("end") or start
        report = referral_report(
            actor=actor_of(request),
            direction=query.validated_data["direction"],
            start=start,
            end=end,
        )
        context = {"marker": f"<{report.threshold}"}
        return Response(ReferralReportOutput(report, context=context).data)
