"""The API server restarts under load: no acknowledged write is lost, none is duplicated.

Client threads send referral creates, each with its own `Idempotency-Key`, and retry a failed
attempt (connection refused or reset, 5xx) with the same key until it is acknowledged. Midway
the server is stopped gracefully (SIGTERM) and started again, then killed outright (SIGKILL of
master and workers, mid-request) and started again.
"""

from __future__ import annotations

import http.client
import json
import signal
import threading
import time
import uuid
from collections import Counter

import pytest

from audit.models import AuditEvent
from audit.verify import verify_chains
from bench.serve import Gunicorn
from referrals.models import Referral
from tests.reliability.conftest import Sending, post
from webhooks.models import OutboxEvent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 6
SEND_SECONDS = 6.0
GIVE_UP_SECONDS = 40.0


class Sender:
    """One client thread: creates with fresh keys, each retried with that key until acked."""

    def __init__(self, port: int, sending: Sending, stop: threading.Event) -> None:
        self.port, self.sending, self.stop = port, sending, stop
        self.acked: dict[str, str] = {}  # key -> referral id
        self.retries = 0
        self.unexpected: list[tuple[int, bytes]] = []

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            self._create_until_acked(str(uuid.uuid4()), n)

    def _create_until_acked(self, key: str, n: int) -> None:
        give_up = time.monotonic() + GIVE_UP_SECONDS
        body = self.sending.body(n)
        while time.monotonic() < give_up:
            try:
                status, _h, raw = post(
                    self.port, "/api/v1/referrals", body, token=self.sending.token, key=key
                )
            except (OSError, http.client.HTTPException):
                # refused while down, reset when killed mid-request, or the answer cut off
                # mid-body (IncompleteRead): not acknowledged, so sent again with the same key
                status, raw = 0, b""
            if status == 201:
                self.acked[key] = json.loads(raw)["id"]
                return
            if status and status < 500:
                self.unexpected.append((status, raw[:200]))
                return
            self.retries += 1
            time.sleep(0.1)
        self.unexpected.append((0, b"gave up"))


def _restart_midstream(server: Gunicorn, senders: list[Sender], sig: int) -> None:
    """Wait until writes flow, then stop the server with `sig` and start it again."""
    before = sum(len(s.acked) for s in senders)
    deadline = time.monotonic() + 10
    while sum(len(s.acked) for s in senders) < before + 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.restart(sig)


def test_no_acknowledged_create_is_lost_across_restarts(gunicorn: Gunicorn, sending) -> None:
    stop = threading.Event()
    senders = [Sender(gunicorn.port, sending, stop) for _ in range(THREADS)]
    threads = [threading.Thread(target=s.run, daemon=True) for s in senders]
    for t in threads:
        t.start()
    started = time.monotonic()
    _restart_midstream(gunicorn, senders, signal.SIGTERM)
    _restart_midstream(gunicorn, senders, signal.SIGKILL)
    time.sleep(max(0.0, SEND_SECONDS - (time.monotonic() - started)))
    stop.set()
    for t in threads:
        t.join(GIVE_UP_SECONDS + 5)
    gunicorn.stop()

    unexpected = [u for s in senders for u in s.unexpected]
    assert not unexpected, unexpected
    acked = {key: rid for s in senders for key, rid in s.acked.items()}
    retries = sum(s.retries for s in senders)
    assert len(acked) >= 10 and retries > 0, f"too little traffic: {len(acked)} acked"

    ids = set(acked.values())
    assert len(ids) == len(acked), "two keys were answered with the same referral"
    stored = set(
        map(str, Referral.objects.filter(client=sending.client).values_list("id", flat=True))
    )
    assert stored == ids, (
        f"{len(ids - stored)} acknowledged creates lost, {len(stored - ids)} not acknowledged"
    )
    requested = Counter(
        e["referral_id"]
        for e in OutboxEvent.objects.filter(
            type="referral.requested", agency=sending.recipient
        ).values_list("data", flat=True)
    )
    assert set(requested) == ids and set(requested.values()) == {1}
    audited = Counter(
        AuditEvent.objects.filter(action="referral.create", outcome="allow").values_list(
            "object_id", flat=True
        )
    )
    assert set(audited) == ids and set(audited.values()) == {1}
    assert verify_chains().valid
