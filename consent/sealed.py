"""Survivor free text on a consent (purpose detail, revoke reason), sealed under the client DEK."""

from __future__ import annotations

from consent.models import Consent
from core.actor import Actor

TABLE = "consent_consent"
PURPOSE_DETAIL = "purpose_detail"
REVOKE_REASON = "revoke_reason"


def seal_text(*, consent: Consent, column: str, value: str) -> bytes | None:
    """Ciphertext bound to this consent row and column, or None for an empty value."""
    if not value:
        return None
    from crypto import service

    return service.seal(
        client=consent.client, table=TABLE, column=column, row_id=consent.pk, value=value
    )


def unseal_text(*, consent: Consent, column: str, actor: Actor | None = None) -> str:
    """The plaintext of a sealed column ('' when empty). A failed decrypt raises (fail closed)."""
    blob = getattr(consent, f"{column}_sealed")
    if blob is None:
        return ""
    from crypto import service

    value = service.unseal(
        client=consent.client,
        table=TABLE,
        column=column,
        row_id=consent.pk,
        blob=bytes(blob),
        actor=actor,
    )
    return value or ""
