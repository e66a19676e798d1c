"""The consent a referral is sent under: in effect, this client's, to this recipient, fitting.

Asked when a referral is created, when a draft is sent and when a consent is attached. The
consent row is locked until commit: a revocation racing the write either waits and then sees
the referral (and tells the recipient), or wins and the write answers `consent_required`.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from consent.models import Consent
from consent.policy import consent_is_active
from consent.purposes import purpose_check
from core.errors import Conflict


def consent_for_referral(
    *,
    client_id: uuid.UUID,
    recipient_id: uuid.UUID,
    consent_id: uuid.UUID,
    service_type: str,
    at: datetime,
) -> Consent:
    """The consent, locked; else 409 `consent_required` or `purpose_mismatch`."""
    consent = Consent.objects.select_for_update().filter(pk=consent_id, client_id=client_id).first()
    if (
        consent is None
        or consent.recipient_agency_id != recipient_id
        or not consent_is_active(consent, at)
    ):
        raise Conflict(
            "An active consent from this client to this recipient is required.",
            code="consent_required",
        )
    purpose_check(purpose=consent.purpose, service_type=service_type)
    return consent
