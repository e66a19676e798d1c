"""`make loadtest INSTANCES=2`: two of everything on one PostgreSQL and one Redis.

1. recreates the scratch database, seeds it as the one-instance test does, plus one `*` webhook
   subscription per agency (pointing at `bench/receiver.py` on loopback) and an account for
   the sign-in limit check;
2. starts two `run_worker` processes and a gunicorn instance (`-w 2`), all with `REDIS_URL`
   and a `CACHE_KEY_PREFIX` unique to this run;
3. phase 1: the mixed workload against that one instance; phase 2: a second instance on its
   own port joins and the same mix runs round-robin over both (each idempotent retry or twin
   of a create goes to the other instance than its first copy); each phase's writes are
   checked as in the one-instance test (exactly once per key, outbox, audit, chains);
   phase 3 (after step 4): both stop and one instance with as many workers as the two had
   together takes the mix, which tells a second instance apart from more processes;
4. the sign-in limit across instances: wrong passwords for one account alternate between the
   instances; only `LOGIN_FAILURE_LIMIT` of them are evaluated, the rest (and then the right
   password) are refused with 429, as if one process had seen them all;
5. waits for the workers to drain the outbox, stops everything (the workers must exit 0 on
   SIGTERM), and checks the webhooks: one delivery per (event, subscription), all delivered,
   every one received, copies only where the receiver refused the first one (a retry);
6. deletes this run's Redis keys (never a flush), prints the figures, and with `--write`
   rewrites the two-instance block of docs/performance.md. Exits 1 naming any failed check.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from bench import serve
from bench.loadtest import (
    DOC,
    ROOT,
    _machine,
    _pct,
    _replace_block,
    _setup,
    failed,
)

BEGIN, END = "<!-- loadtest-two:begin -->", "<!-- loadtest-two:end -->"
RECEIVER_OFFSET = 9
DRAIN_SECONDS = 120


class BackendCpu:
    """CPU seconds of the scratch database's backends over a phase.

    Sampled every half second, so backends that exit meanwhile (connections recycled after
    DB_CONN_MAX_AGE, or closed by a stopped instance) still count up to their last sample;
    a one-off reading at both ends would lose them (and can come out negative).
    """

    def __init__(self, url: str) -> None:
        self.url, self.name = url, urlparse(url).path.lstrip("/")
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self._done = threading.Event()
        self._started = threading.Event()
        self._thread: threading.Thread | None = None

    def _sample(self, conn: Any, initial: bool = False) -> None:
        with conn.cursor() as cur:
            cur.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [self.name])
            pids = [row[0] for row in cur.fetchall()]
        for pid in pids:
            cpu = serve.process_cpu(pid)
            self.first.setdefault(pid, cpu if initial else 0.0)
            self.last[pid] = max(cpu, self.last.get(pid, 0.0))

    def _run(self) -> None:
        conn = serve._admin(self.url)
        try:
            self._sample(conn, initial=True)
            self._started.set()
            while not self._done.wait(0.5):
                self._sample(conn)
            self._sample(conn)
        finally:
            conn.close()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._started.wait(10)

    def stop(self) -> float:
        self._done.set()
        if self._thread is not None:
            self._thread.join(10)
        return sum(self.last[pid] - self.first[pid] for pid in self.last)


@dataclass
class Phase:
    shape: str
    instances: int
    processes: int
    samples: list  # type: ignore[type-arg]
    wall: float
    cpu: dict[str, float]
    checks: list[tuple[str, bool, str]]
    pools: Any = None  # the load generator's view of the world at the end of the phase

    @property
    def rate(self) -> float:
        return len(self.samples) / self.wall if self.wall else 0.0

    @property
    def errors(self) -> int:
        return sum(not s.ok for s in self.samples)


def _ports(base: int) -> tuple[list[int], int]:
    if base:
        return [base, base + 1, base + 2], base + RECEIVER_OFFSET
    return [serve.free_port() for _ in range(3)], serve.free_port()


def _post(port: int, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(
            "POST",
            path,
            json.dumps(body),
            {"Content-Type": "application/json", "Accept": "application/json"},
        )
        response = conn.getresponse()
        raw = response.read()
    finally:
        conn.close()
    try:
        return response.status, json.loads(raw) if raw else None
    except ValueError:
        return response.status, None


def login_limit(ports: list[int]) -> list[tuple[str, bool, str]]:
    """Wrong passwords alternating over the instances count against one budget."""
    from django.conf import settings

    from audit.models import AuditEvent
    from bench.loadcheck import LIMIT_TARGET, PASSWORD

    limit = int(settings.LOGIN_FAILURE_LIMIT)
    tries = 2 * limit + 2  # per-process budgets would let 2 x limit (or more) through
    evaluated = AuditEvent.objects.filter(action="auth.failed", reason="bad_password")
    before = evaluated.count()
    wrong = {"username": LIMIT_TARGET, "password": "wrong-password-for-the-limit"}
    statuses = [_post(ports[i % len(ports)], "/api/v1/auth/token", wrong)[0] for i in range(tries)]
    right = {"username": LIMIT_TARGET, "password": PASSWORD}
    locked, body = _post(ports[tries % len(ports)], "/api/v1/auth/token", right)
    checked = evaluated.count() - before
    want = [401] * limit + [429] * (tries - limit)
    per_port = {
        port: "".join("x" if s == 401 else "-" for s in statuses[i :: len(ports)])
        for i, port in enumerate(ports)
    }
    return [
        (
            "sign-in limit holds across instances",
            statuses == want and checked == limit,
            f"{tries} wrong passwords alternating over {len(ports)} instances, limit {limit}: "
            f"{statuses.count(401)} evaluated (401), {statuses.count(429)} refused (429); "
            f"{checked} bad_password audit events; per instance (x evaluated, - refused): "
            + ", ".join(f":{port} {marks}" for port, marks in per_port.items()),
        ),
        (
            "the locked account stays locked on the other instance",
            locked == 429 and isinstance(body, dict) and body.get("code") == "login_throttled",
            f"right password then: HTTP {locked} {body.get('code') if body else ''}".strip(),
        ),
    ]


def _phase(
    shape: str,
    args: argparse.Namespace,
    servers: list[serve.Gunicorn],
    workers: list[serve.Worker],
    seeded: Any,
    after: Any = None,
) -> Phase:
    from django.db import connections

    from bench import loadcheck, loadgen

    before = loadcheck.counts()
    connections.close_all()
    ports = [s.port for s in servers]
    print(f"{args.threads} clients for {args.seconds:.0f} s on {ports}", flush=True)
    start: dict[str, float] = {}
    database = BackendCpu(os.environ["DATABASE_URL"])

    def cpu_now() -> dict[str, float]:
        return {
            "gunicorn": sum(s.cpu_seconds() for s in servers),
            "webhook workers": sum(w.cpu_seconds() for w in workers),
            "load generator + receiver": time.process_time(),
        }

    def begin() -> None:
        database.start()
        start.update(cpu_now())

    samples, pools, wall = loadgen.drive(
        ports,
        seeded,
        args.threads,
        args.seconds,
        on_start=begin,
        after=after,
    )
    end = cpu_now()
    postgres = database.stop()
    checks = loadcheck.verify(before, pools.acknowledged())
    errors = sum(not s.ok for s in samples)
    detail = f"{errors} failed; " + ("; ".join(pools.errors[:5]) or "no anomalies")
    checks.insert(0, ("zero failed requests", errors == 0 and not pools.errors, detail))
    cpu = {name: end[name] - start[name] for name in end}
    cpu = {"gunicorn": cpu.pop("gunicorn"), "PostgreSQL": postgres, **cpu}
    processes = sum(s.workers for s in servers)
    return Phase(shape, len(servers), processes, samples, wall, cpu, checks, pools)


def _drain(workers: list[serve.Worker]) -> tuple[str, bool, str]:
    from django.db import connections

    from bench.loadcheck import webhooks_pending

    started = time.monotonic()
    left = webhooks_pending()
    while left and time.monotonic() - started < DRAIN_SECONDS:
        if not all(w.alive() for w in workers):
            break
        time.sleep(1)
        left = webhooks_pending()
    connections.close_all()
    return (
        "webhook workers drained the outbox",
        left == 0,
        f"{left} outbox rows or deliveries pending after {time.monotonic() - started:.0f} s"
        + ("" if all(w.alive() for w in workers) else "; a worker died (see its log)"),
    )


def _cpu_ms(phase: Phase) -> str:
    requests = max(len(phase.samples), 1)
    return ", ".join(f"{n} {1000 * s / requests:.1f}" for n, s in phase.cpu.items())


def report(
    args: argparse.Namespace, phases: list[Phase], checks: list[tuple[str, bool, str]]
) -> list[str]:
    one, two, wide = phases
    lines = [
        f'`make loadtest INSTANCES=2 ARGS="--seconds {args.seconds:g} --threads {args.threads}"`, '
        f"run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {_machine()}: "
        f"each instance `gunicorn -w {args.workers} -k sync`, two `run_worker` processes, "
        f"PostgreSQL and Redis on loopback, {args.threads} client threads in one process on "
        f"the same cores, {args.seconds:g} s per phase: one instance, then two, then one "
        f"instance with as many workers as the two had together. "
        f"**{one.rate:,.0f} requests/s with one instance, {two.rate:,.0f} with two "
        f"({two.rate / one.rate if one.rate else 0:.2f}x), {wide.rate:,.0f} with one instance "
        f"of {wide.processes} workers; {sum(p.errors for p in phases)} errors.**",
        "",
        "| phase | instances | gunicorn workers | requests | errors | req/s | p50 ms | p95 ms "
        "| p99 ms | CPU ms per request |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for phase in phases:
        ms = [s.ms for s in phase.samples]
        lines.append(
            f"| {phase.shape} | {phase.instances} | {phase.processes} | {len(phase.samples):,} "
            f"| {phase.errors} | {phase.rate:,.1f} | {statistics.median(ms):.1f} "
            f"| {_pct(ms, 0.95):.1f} | {_pct(ms, 0.99):.1f} | {_cpu_ms(phase)} |"
        )
    lines += [
        "",
        "| check | result | detail |",
        "|---|---|---|",
        *[f"| {name} | {'pass' if ok else '**FAIL**'} | {detail} |" for name, ok, detail in checks],
    ]
    return lines


def _write(lines: list[str]) -> None:
    text = DOC.read_text() if DOC.exists() else ""
    updated = _replace_block(text, BEGIN, END, lines)
    if updated is not None:
        DOC.write_text(updated)
        print(f"wrote the two-instance block of {DOC.relative_to(ROOT)}")


def main(args: argparse.Namespace, url: str) -> int:
    started = time.perf_counter()
    redis_url = serve.loadtest_redis_url()
    redis_client = serve.redis_client(
        redis_url, "the two-instance mode needs Redis for the shared limit store"
    )
    prefix = serve.redis_prefix()
    ports, receiver_port = _ports(args.port_base)
    shared = {"REDIS_URL": redis_url, "CACHE_KEY_PREFIX": prefix}
    os.environ.update(shared)  # this process (seeding, checks) uses the same store
    serve.database_recreate(url)
    checkpoints = tempfile.mkdtemp(prefix="rh-loadtest-checkpoints-")
    _setup(url, checkpoints)
    from django.db import connections

    from bench import loadcheck
    from bench.receiver import Receiver

    receiver = Receiver(receiver_port)
    receiver.start()
    servers: list[serve.Gunicorn] = []
    workers: list[serve.Worker] = []
    codes: list[int | None] = []
    try:
        seeded = loadcheck.seed(users=2, integrations=2, clients=12, referrals=3)
        subscriptions = loadcheck.seed_webhooks(seeded.partners, receiver.url)
        receiver.secrets = dict(subscriptions.values())
        loadcheck.seed_limit_target()
        connections.close_all()
        env = {"DATABASE_URL": url, "AUDIT_CHECKPOINT_DIR": checkpoints, **shared}
        print(
            f"database ready in {time.perf_counter() - started:.0f} s; Redis prefix {prefix}; "
            f"receiver on :{receiver_port}; starting two webhook workers",
            flush=True,
        )
        worker_env = {
            **env,
            "WEBHOOK_ALLOW_PRIVATE": "1",  # the receiver is on loopback
            "WEBHOOK_POLL_SECONDS": "1",
            "WEBHOOK_BACKOFF_BASE_SECONDS": "1",  # retries after ~1 s, not 30
        }
        workers = [serve.Worker(worker_env, f"loadtest-worker{i}") for i in (1, 2)]
        for worker in workers:
            worker.start()
        first, second = (serve.Gunicorn(env, workers=args.workers, port=p) for p in ports[:2])
        # As many sync workers as the two instances together, in one instance: what the second
        # instance adds beyond more processes (docs/performance.md "Two of everything").
        wide = serve.Gunicorn(env, workers=2 * args.workers, port=ports[2])
        servers = [first, second, wide]
        first.start()
        phases = [_phase("one instance", args, [first], workers, seeded)]
        second.start()
        both = [first, second]
        phases.append(_phase("two instances", args, both, workers, seeded, phases[-1].pools))
        limits = login_limit([first.port, second.port])
        first.stop()
        second.stop()
        wide.start()
        phases.append(_phase("one wide instance", args, [wide], workers, seeded, phases[-1].pools))
        wide.stop()
        checks = [(f"{p.shape}: {n}", ok, d) for p in phases for n, ok, d in p.checks]
        checks += limits
        checks.append(_drain(workers))
        codes = [worker.stop() for worker in workers]
        checks += loadcheck.verify_webhooks(subscriptions, receiver)
        checks.append(
            (
                "both webhook workers ran and stopped on SIGTERM",
                codes == [0, 0],
                f"exit codes {codes}; logs {', '.join(str(w.log) for w in workers)}",
            )
        )
    finally:
        for server in servers:
            server.stop()
        for worker in workers:
            worker.stop()
        receiver.stop()
        removed = serve.redis_forget(redis_client, prefix)
        redis_client.close()
        print(f"removed {removed} Redis keys under {prefix}")
    lines = report(args, phases, checks)
    print("\n".join(lines))
    if args.write:
        _write(lines)
    print(f"total {time.perf_counter() - started:.0f} s")
    return failed(checks)
