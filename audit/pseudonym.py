"""`subject_ref`: an HMAC pseudonym of a client id that survives crypto-shredding."""

from __future__ import annotations

import hashlib
import hmac
import uuid

from django.conf import settings


def subject_ref(client_id: uuid.UUID | str | None) -> str:
    """Keyed pseudonym; without AUDIT_PSEUDONYM_KEY it cannot be linked back to a client."""
    if client_id is None:
        return ""
    key = settings.AUDIT_PSEUDONYM_KEY.encode()
    return hmac.new(key, str(client_id).encode(), hashlib.sha256).hexdigest()
