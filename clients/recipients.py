"""Who received a client's data elsewhere: the registration point for the apps that send it.

`clients` (and `consent`) sit below `referrals`, so they never import it. Instead the referrals
app registers `referrals.recipients.recipients_of` here when it loads (`ReferralsConfig.ready`).
With no provider registered nothing was sent anywhere; a test checks that referrals registers.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

Holders = dict[uuid.UUID, list[str]]  # recipient agency id -> sorted ids of what it received
Provider = Callable[..., Holders]  # provider(client=... | consent=...) -> Holders

_providers: list[Provider] = []


def recipients_register(provider: Provider) -> None:
    """Add a provider (idempotent: `ready()` may run more than once in tests)."""
    if provider not in _providers:
        _providers.append(provider)


def recipients_registered() -> tuple[Provider, ...]:
    return tuple(_providers)


def recipients_of(*, client: Any = None, consent: Any = None) -> Holders:
    """{recipient agency id: sorted ids} of what was sent about `client`, or under `consent`."""
    if (client is None) == (consent is None):
        raise TypeError("recipients_of: name exactly one of client= or consent=")
    holders: Holders = {}
    for provider in _providers:
        for agency_id, ids in provider(client=client, consent=consent).items():
            holders[agency_id] = sorted({*holders.get(agency_id, []), *ids})
    return holders
