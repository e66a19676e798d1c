"""Which agencies hold referrals about a client, or under a consent (drafts never left).

Registered with `clients.recipients` at startup, so the lower apps (client erasure, consent
revocation and expiry, a recipient's consent read) can ask without importing referrals.
"""

from __future__ import annotations

import uuid

from clients.models import Client
from clients.recipients import Holders
from consent.models import Consent
from referrals.models import Referral, ReferralStatus


def recipients_of(*, client: Client | None = None, consent: Consent | None = None) -> Holders:
    """{recipient agency id: sorted referral ids} for referrals sent about `client` or under
    `consent` (exactly one of them)."""
    if (client is None) == (consent is None):
        raise TypeError("recipients_of: name exactly one of client= or consent=")
    sent = Referral.objects.exclude(status=ReferralStatus.DRAFT)
    rows = sent.filter(client=client) if client is not None else sent.filter(consent=consent)
    holders: dict[uuid.UUID, list[str]] = {}
    for referral_id, agency_id in rows.order_by("id").values_list("id", "recipient_agency_id"):
        holders.setdefault(agency_id, []).append(str(referral_id))
    return {agency_id: sorted(ids) for agency_id, ids in holders.items()}
