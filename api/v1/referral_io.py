"""Serializers for referrals, their messages and the accounting of disclosures."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from agencies.models import ServiceType
from api.serializers import AgencyRef, StrictInput
from referrals.models import Priority, Referral, ReferralStatus
from referrals.reads import ReferralView
from referrals.states import allowed_moves


class ReferralCreateInput(StrictInput):
    client = serializers.UUIDField()
    recipient_agency = serializers.UUIDField()
    program = serializers.UUIDField(required=False, allow_null=True, default=None)
    consent = serializers.UUIDField()
    service_type = serializers.ChoiceField(choices=ServiceType.choices)
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.ROUTINE)
    reason = serializers.CharField(max_length=4000, trim_whitespace=False)
    draft = serializers.BooleanField(default=False)


class ReferralListQuery(serializers.Serializer):
    box = serializers.ChoiceField(choices=["inbox", "outbox"], required=False)
    status = serializers.ChoiceField(choices=ReferralStatus.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    updated_after = serializers.DateTimeField(required=False)
    sort = serializers.ChoiceField(
        choices=["priority", "newest"],
        required=False,
        help_text="priority: stat first, then the nearest deadline (the inbox's default); "
        "newest: newest first (the default elsewhere).",
    )


class ReferralTransitionInput(StrictInput):
    to = serializers.ChoiceField(choices=ReferralStatus.choices)
    reason = serializers.CharField(
        max_length=4000, required=False, default="", allow_blank=True, trim_whitespace=False
    )
    version = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)


class ReferralAssignInput(StrictInput):
    assignee = serializers.UUIDField()
    version = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)


class ReferralMessageInput(StrictInput):
    body = serializers.CharField(max_length=8000, trim_whitespace=False)


class ProgramRef(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class ReferralSummaryOutput(serializers.Serializer):
    """A referral without client data (lists, create, transitions)."""

    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=ReferralStatus.choices)
    priority = serializers.ChoiceField(choices=Priority.choices)
    service_type = serializers.ChoiceField(choices=ServiceType.choices)
    sender_agency = AgencyRef()
    recipient_agency = AgencyRef()
    program = ProgramRef(allow_null=True)
    client_id = serializers.UUIDField()
    consent_id = serializers.UUIDField()
    assignee_id = serializers.UUIDField(allow_null=True)
    response_deadline = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class ReferralClientOutput(serializers.Serializer):
    """The client, nested by data category: only the categories the caller may see now."""

    id = serializers.UUIDField()
    identity = serializers.DictField(required=False)
    contact = serializers.DictField(required=False)
    demographics = serializers.DictField(required=False)
    safety = serializers.DictField(required=False)
    immigration = serializers.DictField(required=False)
    health = serializers.DictField(required=False)


class ReferralOutput(ReferralSummaryOutput):
    """One referral as the caller may see it now."""

    party = serializers.ChoiceField(choices=["sender", "recipient"])
    allowed_transitions = serializers.ListField(child=serializers.CharField())
    reason = serializers.CharField(allow_null=True)
    status_reason = serializers.CharField(allow_null=True)
    client = ReferralClientOutput()
    withheld_categories = serializers.ListField(child=serializers.CharField())
    withheld_basis = serializers.CharField(allow_blank=True)


_WHEN = serializers.DateTimeField()


def _when(value: Any) -> str | None:
    return _WHEN.to_representation(value) if value else None


def _ref(obj: Any) -> dict[str, str] | None:
    return {"id": str(obj.id), "name": obj.name} if obj is not None else None


def referral_summary(referral: Referral) -> dict[str, Any]:
    """`ReferralSummaryOutput`, built by hand: it is on the hot read path."""
    return {
        "id": str(referral.id),
        "status": referral.status,
        "priority": referral.priority,
        "service_type": referral.service_type,
        "sender_agency": _ref(referral.sender_agency),
        "recipient_agency": _ref(referral.recipient_agency),
        "program": _ref(referral.program),
        "client_id": str(referral.client_id),
        "consent_id": str(referral.consent_id),
        "assignee_id": str(referral.assignee_id) if referral.assignee_id else None,
        "response_deadline": _when(referral.response_deadline),
        "version": referral.version,
        "created_at": _when(referral.created_at),
        "updated_at": _when(referral.updated_at),
    }


def referral_detail(view: ReferralView) -> dict[str, Any]:
    """Render a ReferralView (the client dict is built here: it is not a model)."""
    referral: Referral = view.referral
    data = referral_summary(referral)
    data.update(
        party=view.party,
        allowed_transitions=allowed_moves(source=referral.status, party=view.party),
        reason=view.reason,
        status_reason=view.status_reason,
        client={"id": str(referral.client_id), **view.client},
        withheld_categories=list(view.withheld_categories),
        withheld_basis=view.basis,
    )
    return data


class ReferralMessageOutput(serializers.Serializer):
    id = serializers.UUIDField(source="message.id")
    agency = AgencyRef(source="message.agency")
    author_user_id = serializers.UUIDField(source="message.author_user_id", allow_null=True)
    author_integration_id = serializers.UUIDField(
        source="message.author_integration_id", allow_null=True
    )
    body = serializers.CharField(allow_null=True)
    erased = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(source="message.created_at")

    def get_erased(self, obj: Any) -> bool:
        return bool(obj.body is None)


class DisclosureOutput(serializers.Serializer):
    """One disclosure of a client's data, from the audit log."""

    event_id = serializers.UUIDField()
    occurred_at = serializers.DateTimeField()
    recipient_agency = AgencyRef()
    categories = serializers.ListField(child=serializers.CharField())
    purpose = serializers.CharField()
    consent_id = serializers.UUIDField(allow_null=True)
    referral_id = serializers.UUIDField(allow_null=True)
    actor_role = serializers.CharField(allow_blank=True)
