"""In plain words: what the receiving agency may see of a referral's client, until when, and
what is withheld and why, category by category. Words only: the decision is
`consent.policy.decide(referral=...)` (the one `referrals.reads.referral_read` applies), and
the reasons are `consent.policy.withheld_bases`."""

from __future__ import annotations

from typing import Any

from clients.categories import ALL_CATEGORIES
from consent.policy import decide, withheld_bases
from console.present import BASIS_WORDS, CATEGORY_WORDS, categories_text
from core.actor import Actor
from referrals.models import Referral
from referrals.reads import ReferralView
from referrals.states import SENDER


def _reasons(bases: dict[str, str]) -> list[str]:
    """One sentence per reason: "Safety notes and health notes: the client's consent does not
    include them." (categories in the usual order)."""
    grouped: dict[str, list[str]] = {}
    for category in ALL_CATEGORIES:
        if category in bases:
            grouped.setdefault(bases[category], []).append(category)
    return [
        f"{categories_text(categories).capitalize()}: {BASIS_WORDS.get(basis, basis)}."
        for basis, categories in grouped.items()
    ]


def sharing_sentence(*, actor: Actor, referral: Referral, view: ReferralView) -> dict[str, Any]:
    """The box at the top of a referral: `headline`, `reasons` (list), `text_note`."""
    decision = decide(referral=referral)
    if view.party == SENDER:
        who, verb = referral.recipient_agency.name, "can"
        shown = [c for c in ALL_CATEGORIES if decision.permits(c)]
    else:
        # The recipient's page shows exactly what its read returned (the same decision).
        who, verb = "You", "can"
        shown = [c for c in ALL_CATEGORIES if c in view.client]
    if not shown:
        basis = BASIS_WORDS.get(view.basis if view.party != SENDER else decision.reason, "")
        return {
            "headline": f"{who} {verb}not see this client's details now: {basis}.",
            "reasons": [],
            "text_note": "Messages and the reason for the referral are not shown either."
            if view.party == SENDER
            else "",
        }
    consent = decision.consent
    until = f" until {consent.expires_at:%-d %B %Y}" if consent and consent.expires_at else ""
    bases = {c: b for c, b in withheld_bases(decision).items() if c not in shown}
    return {
        "headline": f"{who} {verb} see {categories_text(shown)}{until}.",
        "reasons": _reasons(bases),
        "shown": [CATEGORY_WORDS.get(c, c) for c in shown],
        "text_note": "",
    }
