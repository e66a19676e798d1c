"""The webhook worker is SIGKILLed while its POST is in flight: a new worker delivers later.

A real `manage.py run_worker` process delivers to a local receiver that holds the first
request open. The test kills the worker at that moment (it never sees an answer, so nothing
is recorded), starts a second worker, and waits for the lease to expire and the event to be
delivered again with the same `webhook-id`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import actor
from tests.factories import UserFactory
from webhooks.models import Delivery, DeliveryStatus
from webhooks.services import outbox_emit, subscription_create

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 6  # short lease so the test stays short; the worker needs lease > 2 x timeout
TIMEOUT_SECONDS = 2


class SlowReceiver:
    """Holds the first POST open until `release` is set; answers later ones at once."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.first_arrived = threading.Event()
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.ids.append(self.headers["webhook-id"])
                if len(receiver.ids) == 1:
                    receiver.first_arrived.set()
                    receiver.release.wait(30)
                try:
                    self.send_response(200)
                    self.end_headers()
                    self.wfile.write(b"{}")
                except OSError:
                    pass  # the worker is gone

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[SlowReceiver]:
    live = SlowReceiver()
    yield live
    live.stop()


@pytest.fixture
def workers(child_env: dict[str, str]) -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    env = {
        **env,
        "WEBHOOK_ALLOW_PRIVATE": "1",
        "WEBHOOK_LEASE_SECONDS": str(LEASE_SECONDS),
        "WEBHOOK_TIMEOUT_SECONDS": str(TIMEOUT_SECONDS),
        "WEBHOOK_POLL_SECONDS": "1",
        # A slow machine may fail an attempt; retry within a second rather than 15-30 s.
        "WEBHOOK_BACKOFF_BASE_SECONDS": "1",
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "manage.py", "run_worker"],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _until(check, timeout: float, what: str, log: Path) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
    raise AssertionError(f"timed out waiting for {what}; worker output:\n{tail}")


def test_event_is_delivered_after_the_worker_dies_mid_delivery(
    child_env, workers, receiver: SlowReceiver, safehouse, tmp_path
) -> None:
    log = tmp_path / "worker.log"
    admin = UserFactory(agency=safehouse, role="agency_admin")
    subscription_create(actor=actor(admin), url=receiver.url, event_types=["*"])
    (event,) = outbox_emit(
        type="referral.requested",
        agency_ids=[safehouse.id],
        data={"referral_id": "00000000-0000-0000-0000-000000000001", "status": "requested"},
    )

    first = _worker(child_env, log)
    workers.append(first)
    assert receiver.first_arrived.wait(20), "the first worker never attempted the delivery"
    killed_at = time.monotonic()
    first.send_signal(signal.SIGKILL)
    first.wait(5)
    receiver.release.set()

    delivery = Delivery.objects.get(event=event)
    assert delivery.status == DeliveryStatus.PENDING  # nothing recorded by the dead worker
    assert delivery.locked_until is not None  # its lease is still held

    workers.append(_worker(child_env, log))
    _until(
        lambda: Delivery.objects.get(pk=delivery.pk).status == DeliveryStatus.DELIVERED,
        timeout=LEASE_SECONDS + 15,
        what="the second worker to deliver after the lease expired",
        log=log,
    )
    waited = time.monotonic() - killed_at
    delivered = Delivery.objects.get(pk=delivery.pk)
    # Every POST carried the same webhook-id (receivers de-duplicate on it); the dead worker's
    # attempt left no record (checked above, before the second worker started).
    assert len(receiver.ids) >= 2 and set(receiver.ids) == {str(event.event_id)}
    assert delivered.attempt_count >= 1  # 1, unless a slow machine made an attempt time out
    assert waited < LEASE_SECONDS + 15
