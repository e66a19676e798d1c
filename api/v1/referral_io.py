"""Serializers for referrals, their messages and the accounting of disclosures."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from rest_framework import serializers

from agencies.models import ServiceType
from api.serializers import AgencyRef, StrictInput, StrictQuery
from referrals.models import Priority, Referral, ReferralStatus
from referrals.reads import HistoryEntry, ReferralView
from referrals.states import PARTIES, READER_PARTIES
from referrals.summary import ReferralListItem, ReferralSummary


class ReferralCreateInput(StrictInput):
    client_id = serializers.UUIDField(help_text="One of your agency's clients.")
    recipient_agency_id = serializers.UUIDField(help_text="Another active agency.")
    program_id = serializers.UUIDField(
        required=False, allow_null=True, default=None, help_text="One of the recipient's programs."
    )
    consent_id = serializers.UUIDField(
        help_text="A consent in effect, from the client to the recipient, whose purpose fits "
        "the service type."
    )
    service_type = serializers.ChoiceField(choices=ServiceType.choices)
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.ROUTINE)
    reason = serializers.CharField(max_length=4000, trim_whitespace=False)
    draft = serializers.BooleanField(default=False)


class ReferralListQuery(StrictQuery):
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
    assignee_id = serializers.UUIDField(
        help_text="An active caseworker or supervisor of your (the recipient) agency."
    )
    version = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)


class ReferralMessageInput(StrictInput):
    body = serializers.CharField(max_length=8000, trim_whitespace=False)


class ProgramRef(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class ReferralSummaryOutput(serializers.Serializer):
    """A referral without client data (create, transitions, assign, attach)."""

    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=ReferralStatus.choices)
    priority = serializers.ChoiceField(choices=Priority.choices)
    service_type = serializers.ChoiceField(choices=ServiceType.choices)
    sender_agency_id = serializers.UUIDField()
    sender_agency = AgencyRef(help_text="Read-only: `sender_agency_id` with the name.")
    recipient_agency_id = serializers.UUIDField()
    recipient_agency = AgencyRef(help_text="Read-only: `recipient_agency_id` with the name.")
    program_id = serializers.UUIDField(allow_null=True)
    program = ProgramRef(allow_null=True, help_text="Read-only: `program_id` with the name.")
    client_id = serializers.UUIDField()
    consent_id = serializers.UUIDField()
    assignee_id = serializers.UUIDField(allow_null=True)
    response_deadline = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    party = serializers.ChoiceField(choices=READER_PARTIES)
    allowed_transitions = serializers.ListField(
        child=serializers.ChoiceField(choices=ReferralStatus.choices),
        help_text="The moves you may make from the current status (empty if none, or if you "
        "may not change referrals). Sending a draft still needs its consent in effect.",
    )


class ReferralListItemOutput(ReferralSummaryOutput):
    """A list item: the summary plus what a caseworker needs to recognise the referral."""

    other_agency_id = serializers.UUIDField(help_text="The agency on the other side from you.")
    other_agency = AgencyRef(help_text="Read-only: `other_agency_id` with the name.")
    client_display_name = serializers.CharField(
        allow_null=True,
        help_text="The client's preferred (else given and family) name, where you may see "
        "their identity: your own client, or as recipient while the referral's consent "
        "permits `identity` (a disclosure in the client's accounting).",
    )
    client_withheld_basis = serializers.CharField(
        allow_blank=True, help_text="Why `client_display_name` is null ('' when shown)."
    )
    unread_messages = serializers.IntegerField(
        help_text="Messages from the other agency since your agency last read the thread."
    )


class ReferralHistoryOutput(serializers.Serializer):
    """One status change (FHIR Task history): when, from, to, which party, why."""

    at = serializers.DateTimeField()
    from_status = serializers.CharField(allow_blank=True)
    to_status = serializers.ChoiceField(choices=ReferralStatus.choices)
    party = serializers.ChoiceField(choices=PARTIES)
    actor_kind = serializers.CharField()
    reason = serializers.CharField(
        allow_null=True, help_text="null when none was given, or when it is withheld from you."
    )
    withheld_basis = serializers.CharField(allow_blank=True)


class ReferralHistoryPageOutput(serializers.Serializer):
    results = ReferralHistoryOutput(many=True)


class ReferralConsentAttachInput(StrictInput):
    consent_id = serializers.UUIDField(
        help_text="A consent in effect, from the same client to the same recipient, whose "
        "purpose fits the referral's service type."
    )
    version = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)


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

    reason = serializers.CharField(allow_null=True)
    status_reason = serializers.CharField(allow_null=True)
    client = ReferralClientOutput()
    withheld_categories = serializers.ListField(child=serializers.CharField())
    withheld_basis = serializers.CharField(
        allow_blank=True,
        help_text="Why categories are withheld: `permitted` (the rest is outside the consent), "
        "`revoked`, `expired`, `purpose_mismatch`, `referral_state`, `scope`, ...",
    )


# DRF's DateTimeField in the time zone it would use: the current one, which is always the
# default (nothing activates another). Named here, DRF does not look the current zone up per
# value (an asgiref local each time: 10 of the 12 microseconds a value cost, 150 on a list page).
_WHEN = serializers.DateTimeField(default_timezone=timezone.get_default_timezone())


def _when(value: Any) -> str | None:
    return _WHEN.to_representation(value) if value else None


def _ref(obj: Any) -> dict[str, str] | None:
    return {"id": str(obj.id), "name": obj.name} if obj is not None else None


def _fields(referral: Referral) -> dict[str, Any]:
    return {
        "id": str(referral.id),
        "status": referral.status,
        "priority": referral.priority,
        "service_type": referral.service_type,
        "sender_agency_id": str(referral.sender_agency_id),
        "sender_agency": _ref(referral.sender_agency),
        "recipient_agency_id": str(referral.recipient_agency_id),
        "recipient_agency": _ref(referral.recipient_agency),
        "program_id": str(referral.program_id) if referral.program_id else None,
        "program": _ref(referral.program),
        "client_id": str(referral.client_id),
        "consent_id": str(referral.consent_id),
        "assignee_id": str(referral.assignee_id) if referral.assignee_id else None,
        "response_deadline": _when(referral.response_deadline),
        "version": referral.version,
        "created_at": _when(referral.created_at),
        "updated_at": _when(referral.updated_at),
    }


def referral_summary(summary: ReferralSummary) -> dict[str, Any]:
    """`ReferralSummaryOutput`, built by hand: it is on the hot read path."""
    return {
        **_fields(summary.referral),
        "party": summary.party,
        "allowed_transitions": list(summary.allowed_transitions),
    }


def referral_list_item(item: ReferralListItem) -> dict[str, Any]:
    """`ReferralListItemOutput`."""
    return {
        **referral_summary(item),
        "other_agency_id": str(item.other_agency.id),
        "other_agency": _ref(item.other_agency),
        "client_display_name": item.client_display_name,
        "client_withheld_basis": item.client_withheld_basis,
        "unread_messages": item.unread_messages,
    }


def referral_detail(view: ReferralView) -> dict[str, Any]:
    """Render a ReferralView (the client dict is built here: it is not a model)."""
    return {
        **referral_summary(view),
        "reason": view.reason,
        "status_reason": view.status_reason,
        "client": {"id": str(view.referral.client_id), **view.client},
        "withheld_categories": list(view.withheld_categories),
        "withheld_basis": view.basis,
    }


def referral_history(entries: list[HistoryEntry]) -> dict[str, Any]:
    return {
        "results": [
            {
                "at": _when(e.transition.created_at),
                "from_status": e.transition.from_status,
                "to_status": e.transition.to_status,
                "party": e.party,
                "actor_kind": e.transition.actor_kind,
                "reason": e.reason,
                "withheld_basis": e.withheld_basis,
            }
            for e in entries
        ]
    }


class ReferralMessageOutput(serializers.Serializer):
    id = serializers.UUIDField(source="message.id")
    agency_id = serializers.UUIDField(source="message.agency_id")
    agency = AgencyRef(source="message.agency", help_text="Read-only: `agency_id` with the name.")
    author_user_id = serializers.UUIDField(source="message.author_user_id", allow_null=True)
    author_integration_id = serializers.UUIDField(
        source="message.author_integration_id", allow_null=True
    )
    body = serializers.CharField(
        allow_null=True, help_text="null when withheld from you (see `withheld_basis`) or erased."
    )
    withheld_basis = serializers.CharField(allow_blank=True)
    erased = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(source="message.created_at")

    def get_erased(self, obj: Any) -> bool:
        return obj.withheld_basis == "client_erased"


class DisclosureOutput(serializers.Serializer):
    """One disclosure of a client's data, from the audit log."""

    event_id = serializers.UUIDField()
    occurred_at = serializers.DateTimeField()
    recipient_agency_id = serializers.UUIDField(allow_null=True)
    recipient_agency = AgencyRef(help_text="Read-only: `recipient_agency_id` with the name.")
    categories = serializers.ListField(child=serializers.CharField())
    purpose = serializers.CharField()
    consent_id = serializers.UUIDField(allow_null=True)
    referral_id = serializers.UUIDField(allow_null=True)
    actor_role = serializers.CharField(allow_blank=True)
    via = serializers.ChoiceField(
        choices=["referral", "list", "messages", "history"],
        help_text="What the recipient was shown: the referral detail (client fields and the "
        "reason), a list item (the display name), messages or status reasons the sender wrote.",
    )
