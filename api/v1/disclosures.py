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
from core.roles import Scope
from referrals.accounting import (
    ACCOUNTING_ROLES,
    agency_names,
    client_owned_get,
    disclosure_events,
    disclosures_viewed,
)


class ClientDisclosuresApi(GenericAPIView):
    """Who received which categories of this client, when, for what purpose, under which consent.

    For the client's own agency: caseworkers, supervisors, compliance officers (no client PII
    is shown), or integrations with `audit:read`. Newest first; the whole audit retention.
    """

    permission_classes = [allow(roles=tuple(ACCOUNTING_ROLES), scope=Scope.AUDIT_READ)]
    pagination_class = IdCursorPagination
    serializer_class = DisclosureOutput

    @extend_schema(responses={200: DisclosureOutput(many=True)})
    def get(self, request: Request, client_id: uuid.UUID) -> Response:
        actor = actor_of(request)
        client = client_owned_get(actor=actor, client_id=client_id)
        page = list(self.paginate_queryset(disclosure_events(client=client)) or [])
        names = agency_names(page)
        disclosures_viewed(actor=actor, client=client)
        rows = [
            {
                "event_id": e.event_id,
                "occurred_at": e.occurred_at,
                "recipient_agency": {
                    "id": e.target_agency_id,
                    "name": names.get(e.target_agency_id, "") if e.target_agency_id else "",
                },
                "categories": e.categories,
                "purpose": e.purpose,
                "consent_id": e.consent_id,
                "referral_id": e.object_id or None,
                "actor_role": e.actor_role,
            }
            for e in page
        ]
        return self.get_paginated_response(DisclosureOutput(rows, many=True).data)
