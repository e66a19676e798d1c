"""What one reader may see of one referral's survivor data now: the consent decision, per reader.

Every read path (detail, list items, messages, history; the FHIR view carries none) asks
`referral_access` and shows nothing beyond it:

* the sender sees its own client: every category, and the recipient's free text;
* the recipient sees what `consent.policy.decide(referral=...)` permits under the referral's
  own consent, and the sender's free text (the reason, status reasons, messages) only while
  some category is permitted;
* each party always reads what its own agency wrote;
* an integration without `clients:read` sees no survivor data at all, on either side
  (basis `scope`), whatever else it may do with the referral.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from clients.categories import ALL_CATEGORIES
from consent.models import Consent
from consent.policy import CLIENT_ERASED, decide
from core.actor import Actor
from core.errors import NotFound
from core.roles import Scope
from referrals.models import Referral
from referrals.selectors import party_of
from referrals.states import RECIPIENT, SENDER

SCOPE = "scope"  # the withheld basis for an integration without `clients:read`


@dataclass(frozen=True)
class Access:
    """`categories` of the client shown; `narrative`: the other party's free text shown;
    `own_text`: the reader's own agency's free text shown; `basis`: why anything is withheld
    ('' for the sender's own client, `permitted` or a `consent.policy` reason code, `scope`);
    `consent`: the consent a recipient's disclosure relies on."""

    party: str
    categories: tuple[str, ...]
    narrative: bool
    own_text: bool
    basis: str
    consent: Consent | None = None

    @property
    def withheld(self) -> tuple[str, ...]:
        return tuple(c for c in ALL_CATEGORIES if c not in self.categories)

    @property
    def discloses(self) -> bool:
        """A recipient read that shows client data: a `disclosure` in the accounting."""
        return self.party == RECIPIENT and self.narrative


def sees_survivor_data(actor: Actor) -> bool:
    """People in case roles, and integrations holding `clients:read` (on either side)."""
    return actor.sees_client_data or actor.has_scope(Scope.CLIENTS_READ)


def referral_access(*, actor: Actor, referral: Referral, at: datetime | None = None) -> Access:
    """The decision for this reader of this referral (404 for a non-party)."""
    party = party_of(actor, referral)
    if party is None:
        raise NotFound()
    if not sees_survivor_data(actor):
        return Access(party, (), narrative=False, own_text=False, basis=SCOPE)
    if party == SENDER:
        if referral.client.erased_at is not None:
            return Access(party, (), narrative=False, own_text=False, basis=CLIENT_ERASED)
        return Access(party, ALL_CATEGORIES, narrative=True, own_text=True, basis="")
    decision = decide(referral=referral, at=at)
    shown = tuple(c for c in ALL_CATEGORIES if decision.permits(c))
    erased = decision.reason == CLIENT_ERASED
    return Access(party, shown, decision.allowed, not erased, decision.reason, decision.consent)
