"""`GET /api/v1/clients/{id}/disclosures`: the accounting of disclosures of one client."""

from __future__ import annotations

import uuid

from drf_spectacular.utils import extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import actor_of
from api.pagination import IdCursorPagination
from api.permissions import allow
from api.v1.referral_io import DisclosureOutput
from clients.accounting import disclosures_qs_for, disclosures_read
from clients.selectors import ACCOUNTING


class ClientDisclosuresApi(GenericAPIView):
    """Who received which categories of this client, when, for what purpose, under which consent.

    For the client's own agency: caseworkers, supervisors, compliance officers (no client PII
    is shown), or integrations with `audit:read`. Newest first; the whole audit retention.
    """

    permission_classes = [allow(roles=tuple(ACCOUNTING.roles), scope=ACCOUNTING.scope)]
    pagination_class = IdCursorPagination
    serializer_class = DisclosureOutput

    @extend_schema(responses={200: DisclosureOutput(many=True)})
    def get(self, request: Request, client_id: uuid.UUID) -> Response:
        actor = actor_of(request)
        rows = disclosures_qs_for(actor=actor, client_id=client_id)
        page = list(self.paginate_queryset(rows) or [])
        entries = disclosures_read(actor=actor, client_id=client_id, events=page)
        return self.get_paginated_response(DisclosureOutput(entries, many=True).data)
