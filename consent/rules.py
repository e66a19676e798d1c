"""Validation rules for recording a consent. Errors name fields, never survivor values."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings

from agencies.models import Agency
from agencies.selectors import recipient_agency_get
from clients.categories import ALL_CATEGORIES, SPECIAL_CATEGORIES
from clients.models import Client
from consent.models import Method, Purpose, SignedBy, SignerRelationship
from core.errors import ValidationFailed

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
PURPOSE_DETAIL_MAX = 1000


def clean_categories(categories: Iterable[str], *, acknowledged: bool) -> list[str]:
    """Known, de-duplicated categories; special ones need an explicit acknowledgement."""
    cleaned = sorted(set(categories))
    if not cleaned:
        raise ValidationFailed("Name at least one data category.", field="categories")
    unknown = [c for c in cleaned if c not in ALL_CATEGORIES]
    if unknown:
        raise ValidationFailed(f"Unknown categories: {', '.join(unknown)}.", field="categories")
    if set(cleaned) & SPECIAL_CATEGORIES and not acknowledged:
        raise ValidationFailed(
            "Special categories (immigration, health) need special_categories_acknowledged: true.",
            field="special_categories_acknowledged",
            code="special_categories_not_acknowledged",
        )
    return cleaned


def clean_recipient(*, client: Client, recipient_agency_id: uuid.UUID) -> Agency:
    """Another agency that is active: never the client's own agency (`invalid_recipient`)."""
    return recipient_agency_get(agency_id=recipient_agency_id, sender_agency_id=client.agency_id)


def clean_signer(*, signed_by: str, signer_relationship: str | None) -> str:
    """`self` exactly when the client signs; a representative names their relationship."""
    if signed_by not in SignedBy.values:
        raise ValidationFailed("Unknown signer.", field="signed_by")
    if signed_by == SignedBy.CLIENT:
        if signer_relationship not in (None, "", SignerRelationship.SELF):
            raise ValidationFailed(
                "A client signing for themselves has signer_relationship 'self'.",
                field="signer_relationship",
                code="invalid_signer",
            )
        return SignerRelationship.SELF
    if signer_relationship in (None, "", SignerRelationship.SELF):
        raise ValidationFailed(
            "A representative must state their relationship to the client.",
            field="signer_relationship",
            code="invalid_signer",
        )
    if signer_relationship not in SignerRelationship.values:
        raise ValidationFailed("Unknown relationship.", field="signer_relationship")
    return signer_relationship


def clean_period(*, valid_from: datetime, expires_at: datetime | None, now: datetime) -> None:
    """Expiry is required, after the start, in the future and within CONSENT_MAX_DAYS."""
    if expires_at is None:
        raise ValidationFailed("expires_at is required.", field="expires_at", code="required")
    if expires_at <= now:  # before the period check: a past expiry is "already expired"
        raise ValidationFailed(
            "expires_at is already in the past.", field="expires_at", code="already_expired"
        )
    if expires_at <= valid_from:
        raise ValidationFailed(
            "expires_at must be after valid_from.", field="expires_at", code="invalid_period"
        )
    max_days = settings.CONSENT_MAX_DAYS
    if expires_at - valid_from > timedelta(days=max_days):
        raise ValidationFailed(
            f"A consent may last at most {max_days} days.",
            field="expires_at",
            code="consent_too_long",
            max_days=max_days,
        )


def clean_terms(*, purpose: str, method: str, purpose_detail: str, evidence_sha256: str) -> str:
    """Controlled vocabularies and sizes; returns the normalised evidence hash."""
    if purpose not in Purpose.values:
        raise ValidationFailed("Unknown purpose.", field="purpose")
    if method not in Method.values:
        raise ValidationFailed("Unknown method.", field="method")
    if len(purpose_detail) > PURPOSE_DETAIL_MAX:
        raise ValidationFailed(
            f"purpose_detail is limited to {PURPOSE_DETAIL_MAX} characters.",
            field="purpose_detail",
        )
    evidence = (evidence_sha256 or "").lower()
    if evidence and not SHA256_HEX.match(evidence):
        raise ValidationFailed(
            "evidence_sha256 must be 64 hexadecimal characters.", field="evidence_sha256"
        )
    return evidence
