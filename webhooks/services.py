"""Writing outbox events. Call inside the transaction of the change the event describes."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from webhooks.models import OutboxEvent


def outbox_emit(*, type: str, agency_ids: Iterable[uuid.UUID], data: dict[str, Any]) -> list[OutboxEvent]:
    """One event per distinct agency. `data` must hold ids and enums only (no survivor values)."""
    events = [OutboxEvent(agency_id=a, type=type, data=data) for a in dict.fromkeys(agency_ids)]
    return OutboxEvent.objects.bulk_create(events)
