"""The one consent decision every disclosure asks: what may the recipient of a referral see now?

A referral is governed by its own consent and nothing else (DESIGN §2.2): the recipient sees a
category only while that consent is in effect, covers the category and has a purpose that fits
the referral's service type, and the referral is in a disclosing state. Expiry takes effect by
time alone; a revoked, refused, uninformed or unknown-status consent permits nothing (fail
closed). Callers disclose only `decision.categories`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from django.db.models import Q
from django.utils import timezone

from agencies.models import Agency
from clients.categories import ALL_CATEGORIES, SPECIAL_CATEGORIES
from clients.models import Client
from consent.models import Consent, ConsentStatus
from consent.purposes import purpose_fits

PERMITTED = "permitted"
NO_CONSENT = "no_consent"
CLIENT_ERASED = "client_erased"
RECIPIENT_INACTIVE = "recipient_inactive"
NO_CATEGORIES = "no_categories"
PURPOSE_MISMATCH = "purpose_mismatch"
REFERRAL_STATE = "referral_state"
# Why one category is withheld while others are shown (`withheld_bases`).
NOT_CONSENTED = "not_consented"  # the consent does not name it
NOT_ACKNOWLEDGED = "special_not_acknowledged"  # a special category named but not acknowledged

# The referral statuses (FHIR Task codes, `referrals.models.ReferralStatus`) in which the
# recipient may see anything, consent permitting (DESIGN §4): nothing while `draft`, nothing
# after `rejected`, `cancelled`, `expired` or `entered-in-error`. Any other status, known or
# not, discloses nothing (`tests/referrals/test_disclosing_states.py` checks every status).
DISCLOSING_STATES = frozenset(
    {"requested", "accepted", "in-progress", "on-hold", "completed", "failed"}
)


class Governed(Protocol):
    """What a consent governs: a referral (its own consent, service type and status)."""

    @property
    def consent(self) -> Consent: ...
    @property
    def client(self) -> Client: ...
    @property
    def recipient_agency(self) -> Agency: ...
    @property
    def service_type(self) -> str: ...
    @property
    def status(self) -> str: ...


@dataclass(frozen=True)
class Decision:
    """Categories permitted now, the one consent relied on (if any), and a reason code."""

    categories: frozenset[str]
    consent: Consent | None
    reason: str

    def permits(self, category: str) -> bool:
        return category in self.categories

    @property
    def allowed(self) -> bool:
        """Something is disclosed: the reason narrative and the sender's messages go with it."""
        return bool(self.categories)


def consent_state(consent: Consent, at: datetime | None = None) -> str:
    """Why this consent does or does not permit disclosure at `at`: `active` or a reason code."""
    at = at or timezone.now()
    if consent.status == ConsentStatus.REVOKED:
        return "revoked"
    if consent.status == ConsentStatus.REFUSED:
        return "refused"
    if consent.status not in (ConsentStatus.ACTIVE, ConsentStatus.EXPIRED):
        return "unknown_status"
    if consent.expires_at is None or at >= consent.expires_at:
        return "expired"
    if consent.status == ConsentStatus.EXPIRED:
        return "expired"
    if at < consent.valid_from:
        return "not_yet_valid"
    if not consent.informed:
        return "not_informed"
    return "active"


def consent_is_active(consent: Consent, at: datetime | None = None) -> bool:
    """True if `consent` permits disclosure at `at` (default now)."""
    return consent_state(consent, at) == "active"


def consent_shown_status(consent: Consent, at: datetime | None = None) -> str:
    """The status a reader sees: an active consent past its expiry shows as `expired` at once
    (expiry takes effect by time alone; `consent_expire_due` only records it later)."""
    if consent.status == ConsentStatus.ACTIVE and consent_state(consent, at) == "expired":
        return ConsentStatus.EXPIRED
    return str(consent.status)


def consent_shown_status_q(status: str, at: datetime) -> Q:
    """`consent_shown_status(...) == status` as a query (the same rule, for list filters)."""
    past = Q(expires_at__isnull=True) | Q(expires_at__lte=at)
    if status == ConsentStatus.ACTIVE:
        return Q(status=ConsentStatus.ACTIVE) & ~past
    if status == ConsentStatus.EXPIRED:
        return Q(status=ConsentStatus.EXPIRED) | (Q(status=ConsentStatus.ACTIVE) & past)
    return Q(status=status)


def consent_categories(consent: Consent) -> frozenset[str]:
    """The known categories a consent covers; special ones only when acknowledged."""
    known = frozenset(c for c in consent.categories or () if c in ALL_CATEGORIES)
    if consent.special_categories_acknowledged:
        return known
    return known - SPECIAL_CATEGORIES


def decide(
    *,
    referral: Governed | None = None,
    consent: Consent | None = None,
    service_type: str | None = None,
    at: datetime | None = None,
) -> Decision:
    """What the recipient may see at `at` (default now) of a referral, under ITS consent only.

    Pass the `referral` (its consent, service type and status decide), or a `consent` alone
    (optionally with the `service_type` it must fit). No other consent ever widens it.
    """
    if (referral is None) == (consent is None):
        raise TypeError("decide: name exactly one of referral= or consent=")
    at = at or timezone.now()
    if referral is not None:
        consent, service_type = referral.consent, referral.service_type
        client, recipient = referral.client, referral.recipient_agency
    else:
        assert consent is not None
        client, recipient = consent.client, consent.recipient_agency
    refusal = _refusal(client, recipient, referral, consent, service_type, at)
    if refusal:
        return Decision(frozenset(), None if refusal == CLIENT_ERASED else consent, refusal)
    categories = consent_categories(consent)
    return Decision(categories, consent, PERMITTED if categories else NO_CATEGORIES)


def _refusal(
    client: Client,
    recipient: Agency,
    referral: Governed | None,
    consent: Consent,
    service_type: str | None,
    at: datetime,
) -> str:
    """Why nothing is disclosed, checked in this order; '' when the consent governs."""
    if client.erased_at is not None:
        return CLIENT_ERASED
    if not recipient.is_active:
        return RECIPIENT_INACTIVE
    if referral is not None and referral.status not in DISCLOSING_STATES:
        return REFERRAL_STATE
    if consent.client_id != client.pk or consent.recipient_agency_id != recipient.pk:
        return NO_CONSENT
    state = consent_state(consent, at)
    if state != "active":
        return state
    if service_type is not None and not purpose_fits(
        purpose=consent.purpose, service_type=service_type
    ):
        return PURPOSE_MISMATCH
    return ""


def withheld_bases(decision: Decision) -> dict[str, str]:
    """Why each category the decision does not permit is withheld, for saying so to people.

    When nothing is disclosed for a reason of the whole consent or referral (revoked, expired,
    erased, ...), every category carries that reason. Otherwise a category is withheld because
    the consent does not name it (`not_consented`), or names a special category the client did
    not acknowledge separately (`special_not_acknowledged`). Words only: the decision is
    `decision.categories`.
    """
    whole = decision.reason not in (PERMITTED, NO_CATEGORIES)
    named = set(decision.consent.categories or ()) if decision.consent else set()
    bases: dict[str, str] = {}
    for category in ALL_CATEGORIES:
        if decision.permits(category):
            continue
        if whole:
            bases[category] = decision.reason
        elif category in named and category in SPECIAL_CATEGORIES:
            bases[category] = NOT_ACKNOWLEDGED
        else:
            bases[category] = NOT_CONSENTED
    return bases
