"""The one consent decision every disclosure asks: which categories may this recipient see now?

Expiry takes effect by time alone; a revoked, refused, uninformed or unknown-status consent
permits nothing (fail closed). Callers disclose only `decision.categories`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from agencies.models import Agency
from clients.categories import ALL_CATEGORIES, SPECIAL_CATEGORIES
from clients.models import Client
from consent.models import Consent, ConsentStatus

PERMITTED = "permitted"
NO_CONSENT = "no_consent"
CLIENT_ERASED = "client_erased"
RECIPIENT_INACTIVE = "recipient_inactive"
NO_CATEGORIES = "no_categories"


@dataclass(frozen=True)
class Decision:
    """Categories permitted now, the consents relied on, and a reason code."""

    categories: frozenset[str]
    consents: tuple[Consent, ...]
    reason: str

    def permits(self, category: str) -> bool:
        return category in self.categories

    @property
    def allowed(self) -> bool:
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
    *, client: Client, recipient_agency: Agency | uuid.UUID, at: datetime | None = None
) -> Decision:
    """The categories of `client` that `recipient_agency` may see at `at` (default now)."""
    at = at or timezone.now()
    if client.erased_at is not None:
        return Decision(frozenset(), (), CLIENT_ERASED)
    if not _recipient_active(recipient_agency):
        return Decision(frozenset(), (), RECIPIENT_INACTIVE)
    recipient_id = recipient_agency.pk if isinstance(recipient_agency, Agency) else recipient_agency
    consents = list(
        Consent.objects.filter(client=client, recipient_agency_id=recipient_id).order_by(
            "-created_at", "-id"
        )
    )
    relied = tuple(c for c in consents if consent_is_active(c, at))
    categories = frozenset().union(*(consent_categories(c) for c in relied))
    if categories:
        return Decision(categories, relied, PERMITTED)
    if relied:
        return Decision(frozenset(), relied, NO_CATEGORIES)
    if not consents:
        return Decision(frozenset(), (), NO_CONSENT)
    return Decision(frozenset(), (), consent_state(consents[0], at))


def _recipient_active(recipient_agency: Agency | uuid.UUID) -> bool:
    if isinstance(recipient_agency, Agency):
        return recipient_agency.is_active
    return Agency.objects.filter(pk=recipient_agency, is_active=True).exists()
