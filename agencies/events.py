"""Directory events for partner systems: the registration point for the app that delivers them.

`agencies` sits below `webhooks`, so it never imports it. Instead the webhooks app registers its
network-wide publisher here when it loads (`WebhooksConfig.ready`). Publishing with nothing
registered is a configuration error (fail closed): a capacity change must not vanish silently.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from core.errors import ConfigError

# publisher(type=..., data=..., also=[agency ids]) queues the event for every subscriber.
Publisher = Callable[..., Any]

_publishers: list[Publisher] = []


def publisher_register(publisher: Publisher) -> None:
    """Set the publisher (idempotent: `ready()` may run more than once in tests)."""
    if publisher not in _publishers:
        _publishers.append(publisher)


def publish(*, type: str, data: dict[str, Any], also: list[uuid.UUID]) -> None:
    """Queue a directory event (ids and enums only) in the caller's transaction."""
    if not _publishers:
        raise ConfigError("No directory event publisher is registered (is `webhooks` installed?).")
    for publisher in _publishers:
        publisher(type=type, data=data, also=also)
