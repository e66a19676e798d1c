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


def _one_run(agency_id: Any, workers: int, batch: int, events: int) -> float:
    from django.conf import settings
    from django.db import connection, connections

    from webhooks.models import Delivery, DeliveryAttempt, OutboxEvent
    from webhooks.services import outbox_emit

    DeliveryAttempt.objects.all().delete()
    Delivery.objects.all().delete()
    OutboxEvent.objects.all().delete()
    for _ in range(events):
        outbox_emit(type="referral.requested", agency_ids=[agency_id], data={"referral_id": "r"})
    connections.close_all()
    settings.WEBHOOK_BATCH_SIZE = batch  # inherited by the forked workers
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


# (workers, batch size): batch 1 = one claim and one commit per event, for comparison.
CASES = {"1 worker": (1, 20), "2 workers": (2, 20), "1 worker, batch 1": (1, 1)}


def _measure(agency_id: Any, events: int, cases: dict[str, tuple[int, int]]) -> dict[str, float]:
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(ROUNDS):
        for name, (workers, batch) in cases.items():
            samples[name].append(_one_run(agency_id, workers, batch, events))
    return {name: statistics.median(v) for name, v in samples.items()}


def run() -> list[dict[str, Any]]:
    vendor = ready()
    from django.conf import settings

    from agencies.models import Agency
    from core.actor import Actor
    from webhooks.models import Subscription
    from webhooks.services import subscription_create

    for name in ("REFERRAL_EXPIRE", "REFERRAL_REMIND", "CONSENT_EXPIRE", "AUDIT_CHECKPOINT"):
        setattr(settings, f"JOB_{name}_SECONDS", 0)
    settings.JOB_WEBHOOK_PRUNE_SECONDS = 0
    settings.WEBHOOK_ALLOW_PRIVATE = True
    agency = Agency.objects.create(name="Bench Webhooks", kind="other")
    admin = Actor(kind="user", agency_id=agency.id, role="agency_admin", username="bench")
    ctx = mp.get_context("fork")
    rows: list[dict[str, Any]] = []
    plans = (
        ("instant", 0.0, EVENTS, CASES),
        ("20 ms", 0.02, SLOW_EVENTS, dict(list(CASES.items())[:2])),
    )
    for label, delay, events, cases in plans:
        ports: Any = ctx.Queue()
        server = ctx.Process(target=_serve, args=(ports, delay), daemon=True)
        server.start()
        url = f"http://127.0.0.1:{ports.get(timeout=10)}/hook"
        Subscription.objects.all().delete()
        subscription_create(actor=admin, url=url, event_types=["*"])
        rates = _measure(agency.id, events, cases)
        server.terminate()
        for name in cases:
            compare = name != "1 worker"
            rows.append(
                row(
                    "Webhooks",
                    f"events delivered/s, {name}, receiver {label} ({vendor})",
                    rates[name],
                    "events/s",
                    baseline="1 worker" if compare else None,
                    ratio=rates[name] / rates["1 worker"] if compare else None,
                    note=f"{events} events, median of {ROUNDS}",
                )
            )
    return rows
