"""Verify a referral-hub webhook (Standard Webhooks signature scheme). Standard library only.

    from verify_webhook import verify, InvalidWebhook
    event = verify(secret, headers, body)   # headers: any mapping, names matched case-insensitively

Run as a script against a saved sample (JSON with "secret", "headers", "body"):
    python verify_webhook.py sample.json
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sys
import time
from collections.abc import Mapping
from typing import Any

TOLERANCE_SECONDS = 5 * 60  # reject replays of old messages


class InvalidWebhook(Exception):
    """The message is not authentic (bad signature) or too old/new (timestamp)."""


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    raise InvalidWebhook(f"missing header {name}")


def verify(
    secret: str, headers: Mapping[str, str], body: bytes, *, now: float | None = None
) -> dict[str, Any]:
    """Return the parsed event if the signature and timestamp check out; else InvalidWebhook.

    `body` must be the raw request body bytes, exactly as received (do not re-serialise JSON).
    """
    msg_id = _header(headers, "webhook-id")
    timestamp = _header(headers, "webhook-timestamp")
    signatures = _header(headers, "webhook-signature")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise InvalidWebhook("bad timestamp") from None
    if abs((now if now is not None else time.time()) - sent_at) > TOLERANCE_SECONDS:
        raise InvalidWebhook("timestamp outside the tolerance window")
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    # Several space-separated signatures are sent while a rotated secret is in its grace period.
    for candidate in signatures.split(" "):
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value.encode(), expected.encode()):
            return json.loads(body)
    raise InvalidWebhook("no valid signature")


def main(path: str) -> int:
    with open(path, encoding="utf-8") as handle:
        sample = json.load(handle)
    try:
        event = verify(sample["secret"], sample["headers"], sample["body"].encode())
    except InvalidWebhook as exc:
        print(f"rejected: {exc}")
        return 1
    # De-duplicate by webhook-id: the same event may arrive more than once (at-least-once).
    print(f"verified {event['type']} {event['id']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
