"""Plain words for the domain's codes, the same on every screen (labels only, no rules)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from referrals.models import ReferralStatus as S

STATUS_WORDS: dict[str, tuple[str, str]] = {  # status -> (plain words, tag colour)
    S.DRAFT: ("Draft", "grey"),
    S.REQUESTED: ("Waiting for reply", "blue"),
    S.ACCEPTED: ("Accepted", "green"),
    S.REJECTED: ("Declined", "red"),
    S.CANCELLED: ("Cancelled", "grey"),
    S.IN_PROGRESS: ("In progress", "turquoise"),
    S.ON_HOLD: ("On hold", "yellow"),
    S.COMPLETED: ("Completed", "green"),
    S.FAILED: ("Could not be completed", "orange"),
    S.EXPIRED: ("No reply in time", "grey"),
    S.ENTERED_IN_ERROR: ("Entered in error", "grey"),
}
# The button that moves a referral to each status.
MOVE_WORDS: dict[str, str] = {
    S.REQUESTED: "Send",
    S.ACCEPTED: "Accept",
    S.REJECTED: "Decline",
    S.CANCELLED: "Cancel referral",
    S.IN_PROGRESS: "Start work",
    S.ON_HOLD: "Put on hold",
    S.COMPLETED: "Mark completed",
    S.FAILED: "Could not complete",
    S.ENTERED_IN_ERROR: "Mark as entered in error",
}
CONSENT_STATUS_WORDS = {
    "active": "In effect",
    "revoked": "Withdrawn",
    "refused": "The client said no",
    "expired": "Ended",
}
PRIORITY_WORDS = {
    "routine": "Routine",
    "urgent": "Urgent",
    "asap": "As soon as possible",
    "stat": "Emergency",
}
CATEGORY_WORDS = {
    "identity": "name and date of birth",
    "contact": "contact details",
    "demographics": "language, gender and household",
    "safety": "safety notes",
    "immigration": "immigration status",
    "health": "health notes",
}
FIELD_WORDS = {
    "given_name": "Given name",
    "family_name": "Family name",
    "preferred_name": "Preferred name",
    "date_of_birth": "Date of birth",
    "phone": "Phone",
    "email": "Email",
    "address": "Address",
    "safe_contact_instructions": "How to contact safely",
    "gender": "Gender",
    "preferred_language": "Preferred language",
    "household_size": "People in household",
    "risk_notes": "Safety notes",
    "status": "Immigration status",
    "notes": "Notes",
}
# Why a recipient sees less than everything (consent.policy reason codes), in plain words.
BASIS_WORDS = {
    "permitted": "the client's consent covers only these",
    "no_consent": "there is no consent from the client to this agency",
    "client_erased": "the client's record was erased",
    "recipient_inactive": "the receiving agency is no longer active",
    "no_categories": "the consent names nothing that can be shared",
    "revoked": "the client withdrew consent",
    "refused": "the client said no",
    "expired": "the consent has ended",
    "not_yet_valid": "the consent has not started yet",
    "not_informed": "the consent was not recorded as informed",
    "unknown_status": "the consent's status is not known",
    "purpose_mismatch": "the consent is for another kind of help than this service",
    "referral_state": "the referral is not open",
    "scope": "this connection may not see client details",
    "not_consented": "the client's consent does not include them",
    "special_not_acknowledged": "these are especially sensitive and the client did not "
    "agree separately to share them",
}


def status_tag(status: str) -> dict[str, str]:
    words, colour = STATUS_WORDS.get(status, (status, "grey"))
    return {"text": words, "colour": colour}


def categories_text(categories: Any) -> str:
    words = [CATEGORY_WORDS.get(c, c) for c in categories]
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def overdue(deadline: datetime | None, status: str, now: datetime | None = None) -> bool:
    return status == S.REQUESTED and deadline is not None and deadline < (now or timezone.now())


def short_ref(value: Any) -> str:
    """A reference number people can read out: the first 8 characters of an id."""
    return str(value).replace("-", "")[:8].upper()


def display_name(identity: dict[str, Any] | None) -> str:
    """How a person is named on screen: preferred (else given) name and family name."""
    identity = identity or {}
    first = identity.get("preferred_name") or identity.get("given_name") or ""
    return " ".join(filter(None, [str(first), str(identity.get("family_name") or "")]))
