"""The registry of event types a subscription may ask for."""

from __future__ import annotations

from collections.abc import Iterable

from core.errors import ValidationFailed

EVENT_TYPES: dict[str, str] = {
    "referral.requested": "A referral was sent to, or by, your agency.",
    "referral.status_changed": "A referral your agency sent or received changed status.",
    "referral.message_added": "A message was added to a referral your agency is party to.",
    "referral.response_due_soon": "A referral your agency received is near its response deadline.",
    "referral.expired": "A referral passed its response deadline without an answer.",
    "program.capacity_changed": (
        "A program in the directory (any agency's) changed its capacity or stopped or resumed "
        "taking referrals. Sent to every agency subscribed to it, and to the program's own."
    ),
    "consent.revoked": "A consent naming your agency as recipient was revoked or expired.",
    "client.erased": (
        "The client of referrals your agency received was erased at the sender: delete any "
        "copies of their data you hold (the payload lists the referral ids)."
    ),
    "user.mfa_changed": (
        "A user of your agency enrolled, replaced or removed their second factor, regenerated "
        "recovery codes, or had MFA reset by an admin or operator (`change` says which)."
    ),
    "agency.mfa_policy_changed": "Your agency's admin made MFA optional or required again.",
}
WILDCARD = "*"


def event_types_validate(values: Iterable[str]) -> list[str]:
    """Known types only (or `*`), de-duplicated, in a stable order."""
    chosen = list(dict.fromkeys(values))
    if not chosen:
        raise ValidationFailed("Choose at least one event type.", field="event_types")
    unknown = [v for v in chosen if v != WILDCARD and v not in EVENT_TYPES]
    if unknown:
        raise ValidationFailed(
            "Unknown event type.",
            field="event_types",
            code="unknown_event_type",
            known=sorted(EVENT_TYPES),
        )
    return sorted(chosen)


def event_type_matches(subscribed: Iterable[str], event_type: str) -> bool:
    subscribed = list(subscribed)
    return WILDCARD in subscribed or event_type in subscribed
