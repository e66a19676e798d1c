"""In plain words: what the receiving agency may see of a referral's client, until when, and
what is withheld and why. Words only: the decision is `consent.policy` (through
`referrals.reads.referral_read` for the recipient, the referral's consent for the sender)."""

from __future__ import annotations

from typing import Any

from clients.categories import ALL_CATEGORIES
from consent.policy import consent_categories, consent_state
from consent.selectors import consent_get_for
from console.present import BASIS_WORDS, categories_text
from core.actor import Actor
from core.errors import NotFound
from referrals.models import Referral
from referrals.reads import ReferralView
from referrals.states import SENDER


def _until(actor: Actor, referral: Referral) -> Any:
    try:
        consent = consent_get_for(actor=actor, consent_id=referral.consent_id)
    except NotFound:
        return None
    return consent


def _sender(actor: Actor, referral: Referral) -> dict[str, Any]:
    consent = _until(actor, referral)
    recipient = referral.recipient_agency.name
    if consent is None or consent_state(consent) != "active":
        basis = BASIS_WORDS.get(consent_state(consent) if consent else "no_consent", "")
        return {
            "shown": "",
            "headline": f"{recipient} cannot see this client's details now: {basis}.",
        }
    shown = [c for c in ALL_CATEGORIES if c in consent_categories(consent)]
    withheld = [c for c in ALL_CATEGORIES if c not in shown]
    return {
        "headline": f"{recipient} can see {categories_text(shown)} "
        f"until {consent.expires_at:%-d %B %Y}.",
        "withheld": f"{categories_text(withheld).capitalize()} were not shared."
        if withheld
        else "",
    }


def _recipient(actor: Actor, referral: Referral, view: ReferralView) -> dict[str, Any]:
    shown = [c for c in ALL_CATEGORIES if c in view.client]
    withheld = list(view.withheld_categories)
    basis = BASIS_WORDS.get(view.basis, "")
    if not shown:
        return {"headline": f"You cannot see this client's details now: {basis}."}
    consent = _until(actor, referral)
    until = f" until {consent.expires_at:%-d %B %Y}" if consent and consent.expires_at else ""
    return {
        "headline": f"You can see {categories_text(shown)}{until}.",
        "withheld": f"{categories_text(withheld).capitalize()} were not shared: {basis}."
        if withheld
        else "",
    }


def sharing_sentence(*, actor: Actor, referral: Referral, view: ReferralView) -> dict[str, Any]:
    if view.party == SENDER:
        return _sender(actor, referral)
    return _recipient(actor, referral, view)
