"""Webhook delivery throughput: events delivered per second by one and by two workers.

The receiver is a separate process (threaded http.server on 127.0.0.1) answering 200, either
at once or after a fixed delay that stands for a real partner's latency. Workers are forked
processes, each with its own database connection, running the real loop (`worker_drain`):
fan-out, claim, sign, POST, record. Runs are interleaved (1, 2, 1, 2 ...) and the median kept.
"""

from __future__ import annotations

import multiprocessing as mp
import statistics
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bench.harness import ready, row

EVENTS = 600
SLOW_EVENTS = 200
ROUNDS = 3


def _serve(port_queue: Any, delay: float) -> None:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if delay:
                time.sleep(delay)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port_queue.put(server.server_address[1])
    server.serve_forever()


def _work() -> None:
    from django.db import connection

    from webhooks.worker import worker_drain

    connection.close()  # never share the parent's connection
    worker_drain(max_ticks=100_000)
    connection.close()


def _one_run(agency_id: Any, workers: int, events: int) -> float:
    from django.db import connection, connections

    from webhooks.models import Delivery, DeliveryAttempt, OutboxEvent
    from webhooks.services import outbox_emit

    DeliveryAttempt.objects.all().delete()
    Delivery.objects.all().delete()
    OutboxEvent.objects.all().delete()
    for _ in range(events):
        outbox_emit(type="referral.requested", agency_ids=[agency_id], data={"referral_id": "r"})
    connections.close_all()
    ctx = mp.get_context("fork")
    started = time.perf_counter()
    procs = [ctx.Process(target=_work) for _ in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - started
    delivered = Delivery.objects.filter(status="delivered").count()
    assert delivered == events, f"only {delivered} of {events} delivered"
    assert DeliveryAttempt.objects.count() == events, "an event was sent twice"
    connection.close()
    return events / elapsed


def _measure(agency_id: Any, events: int) -> dict[int, float]:
    samples: dict[int, list[float]] = {1: [], 2: []}
    for _ in range(ROUNDS):
        for workers in (1, 2):
            samples[workers].append(_one_run(agency_id, workers, events))
    return {w: statistics.median(v) for w, v in samples.items()}


def run() -> list[dict[str, Any]]:
    vendor = ready()
    from django.conf import settings

    from accounts.actor import Actor
    from agencies.models import Agency
    from webhooks.models import Subscription
    from webhooks.services import subscription_create

    for name in (
        "REFERRAL_EXPIRE",
        "REFERRAL_REMIND",
        "CONSENT_EXPIRE",
        "AUDIT_CHECKPOINT",
        "WEBHOOK_PRUNE",
    ):
        setattr(settings, f"JOB_{name}_SECONDS", 0)
    settings.WEBHOOK_ALLOW_PRIVATE = True
    agency = Agency.objects.create(name="Bench Webhooks", kind="other")
    admin = Actor(kind="user", agency_id=agency.id, role="agency_admin", username="bench")
    ctx = mp.get_context("fork")
    rows: list[dict[str, Any]] = []
    for label, delay, events in (("instant", 0.0, EVENTS), ("20 ms", 0.02, SLOW_EVENTS)):
        ports: Any = ctx.Queue()
        server = ctx.Process(target=_serve, args=(ports, delay), daemon=True)
        server.start()
        url = f"http://127.0.0.1:{ports.get(timeout=10)}/hook"
        Subscription.objects.all().delete()
        subscription_create(actor=admin, url=url, event_types=["*"])
        rates = _measure(agency.id, events)
        server.terminate()
        for workers in (1, 2):
            rows.append(
                row(
                    "Webhooks",
                    f"events delivered/s, {workers} worker{'s' * (workers - 1)}, "
                    f"receiver {label} ({vendor})",
                    rates[workers],
                    "events/s",
                    baseline="1 worker" if workers == 2 else None,
                    ratio=rates[2] / rates[1] if workers == 2 else None,
                    note=f"{events} events, median of {ROUNDS}",
                )
            )
    return rows
