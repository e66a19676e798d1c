"""Audited reads of a consent's survivor free text (purpose detail, revocation reason).

Only the client's own agency sees the free text; a recipient relying on the consent sees its
terms only. Each read that decrypts free text writes a `consent.read` event.
"""

from __future__ import annotations

from audit.services import audit_record
from consent.models import Consent
from consent.selectors import consent_shows_detail
from core.actor import Actor
from crypto.service import unseal_text

FREE_TEXT = ("purpose_detail", "revoke_reason")  # sealed in `<name>_sealed`


def consent_free_text(*, actor: Actor, consent: Consent) -> dict[str, str | None] | None:
    """{name: text} for the client's own agency ('' when none, None once the client is erased);
    None for anyone else, who sees no free text at all."""
    if not consent_shows_detail(actor=actor, consent=consent):
        return None
    if consent.client.erased_at is not None:
        return dict.fromkeys(FREE_TEXT)
    sealed = [name for name in FREE_TEXT if getattr(consent, f"{name}_sealed") is not None]
    text: dict[str, str | None] = {
        name: unseal_text(
            client=consent.client, row=consent, column=name, stored_in=f"{name}_sealed", actor=actor
        )
        or ""
        for name in FREE_TEXT
    }
    if sealed:
        audit_record(
            actor=actor,
            action="consent.read",
            target=consent,
            subject_id=consent.client_id,
            target_agency_id=consent.recipient_agency_id,
            purpose=consent.purpose,
            consent_id=consent.pk,
            reason=",".join(sealed),
        )
    return text
