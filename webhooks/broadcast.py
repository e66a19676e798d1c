"""Network-wide events (the directory's): one outbox row per agency that subscribed to them.

Referral events go to the two parties; a directory event (a program's capacity changed) is
news for every agency that refers people, so it goes to each agency with an active
subscription asking for it (or for `*`), plus any agency named in `also` (the program's own).
"""

from __future__ import annotations

import uuid
from typing import Any

from webhooks.events import event_type_matches
from webhooks.models import OutboxEvent, Subscription
from webhooks.services import outbox_emit


def subscribers_of(type: str) -> list[uuid.UUID]:
    """Agencies (active) holding an active subscription that matches `type`."""
    rows = Subscription.objects.filter(active=True, agency__is_active=True).values_list(
        "agency_id", "event_types"
    )
    return sorted({agency for agency, types in rows if event_type_matches(types, type)})


def outbox_broadcast(
    *, type: str, data: dict[str, Any], also: list[uuid.UUID] | None = None
) -> list[OutboxEvent]:
    """Queue `type` for its subscribers and `also`, in the caller's transaction."""
    return outbox_emit(type=type, agency_ids=[*subscribers_of(type), *(also or [])], data=data)
