"""`make loadtest`: gunicorn on a scratch PostgreSQL database under a mixed partner workload.

1. drops and recreates the scratch database (`LOADTEST_DATABASE_URL`, default `rh_loadtest`),
   migrates, seeds agencies, users, integrations, clients, consents and a few referrals;
2. starts `gunicorn -w 2 -k sync` on a free loopback port, its throttle and lockout counters
   in Redis as production keeps them (`LOADTEST_REDIS_URL`, default the local Redis, under a
   key prefix of this run's own, deleted afterwards; never a flush), or with
   `--limits database` in the database cache (`REDIS_URL` unset);
3. runs `--threads` partner clients for `--seconds` (token refresh, inbox list, referral read,
   create with Idempotency-Key including deliberate retries, transitions, messages);
4. stops the server and checks the database: every acknowledged create exists exactly once,
   one outbox event per change, one audit event per write, the audit chains verify;
5. prints the figures, and rewrites the load-test block of docs/performance.md (`--write`).

`--instances 2` (`make loadtest INSTANCES=2`) is the scale-out shape: two gunicorn instances
on separate ports and two `run_worker` processes on one PostgreSQL and one Redis (under a key
prefix of this run's own; its keys are deleted afterwards, nothing is flushed), with a webhook
subscription per agency pointing at a local receiver. The same mix runs against one instance,
then round-robin against both (retries and twins of a create go to the other instance), then
against one instance with as many workers as the two together, and the checks add: every
webhook delivered at least once with copies only where a retry was due, and N wrong passwords
spread over both instances limited as one budget. See
`bench/loadtest_two.py`; it rewrites the two-instance block of docs/performance.md.

Exits 1, naming the failed checks, when any request failed or any check did not hold.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench import serve

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- loadtest:begin -->", "<!-- loadtest:end -->"
HEAD_BEGIN, HEAD_END = "<!-- loadtest-summary:begin -->", "<!-- loadtest-summary:end -->"
DEFAULT_URL = f"{serve.PG_SERVER}/rh_loadtest"


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seconds", type=float, default=float(os.environ.get("LOADTEST_SECONDS", 30))
    )
    parser.add_argument("--threads", type=int, default=12)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per instance")
    parser.add_argument(
        "--instances",
        type=int,
        choices=(1, 2),
        default=int(os.environ.get("LOADTEST_INSTANCES", 1)),
        help="2: one instance, then two behind a round-robin, plus two webhook workers",
    )
    parser.add_argument(
        "--port-base",
        type=int,
        default=int(os.environ.get("LOADTEST_PORT_BASE", 0)),
        help="servers on port-base, +1 and +2, the webhook receiver on +9 (0: free ports)",
    )
    parser.add_argument(
        "--limits",
        choices=("redis", "database"),
        default="redis",
        help="where the throttle and lockout counters live: Redis, as in production "
        "(docker-compose.yml; LOADTEST_REDIS_URL, a run-unique key prefix deleted afterwards), "
        "or the database cache (REDIS_URL unset: a transaction per request)",
    )
    parser.add_argument("--write", action="store_true", help="update docs/performance.md")
    return parser.parse_args()


def _setup(url: str, checkpoints: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["AUDIT_CHECKPOINT_DIR"] = checkpoints
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "referral_hub.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def _table(samples: list, wall: float) -> list[str]:  # type: ignore[type-arg]
    by_op: dict[str, list] = defaultdict(list)  # type: ignore[type-arg]
    for s in samples:
        by_op[s.op].append(s)
    rows = [
        "| operation | requests | errors | req/s | p50 ms | p95 ms | p99 ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for op, group in [*sorted(by_op.items()), ("**all**", samples)]:
        ms = [s.ms for s in group]
        errors = sum(not s.ok for s in group)
        rows.append(
            f"| {op} | {len(group):,} | {errors} | {len(group) / wall:,.1f} | "
            f"{statistics.median(ms):.1f} | {_pct(ms, 0.95):.1f} | {_pct(ms, 0.99):.1f} |"
        )
    return rows


def _machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown CPU",
    )
    mem = next(
        (
            int(line.split()[1]) // (1024 * 1024)
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        0,
    )
    return f"{os.cpu_count()} vCPU {cpu}, {mem} GiB RAM, Python {platform.python_version()}"


def _database_cpu() -> float:
    """CPU seconds of the PostgreSQL backends serving the scratch database (the app's)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        pids = [row[0] for row in cur.fetchall()]
    connection.close()
    return sum(serve.process_cpu(pid) for pid in pids)


def _cpu_line(cpu: dict[str, float], requests: int) -> str:
    per = {name: 1000 * seconds / max(requests, 1) for name, seconds in cpu.items()}
    server = per["gunicorn"] + per["PostgreSQL"]
    parts = ", ".join(f"{name} {ms:.1f} ms" for name, ms in per.items())
    return (
        f"CPU per request: {parts}. The service alone (gunicorn + PostgreSQL, {server:.1f} ms) "
        f"would sustain about {2000 / server:,.0f} requests/s on these 2 cores if nothing else "
        "ran on them; a figure that contention from other processes does not distort."
    )


def _report(
    args: argparse.Namespace,
    samples: list,  # type: ignore[type-arg]
    wall: float,
    checks: list,  # type: ignore[type-arg]
    cpu: dict[str, float],
    limits: str = "Redis",
) -> list[str]:
    errors = sum(not s.ok for s in samples)
    store = (
        "throttle counters in Redis as in production (a key prefix of the run's own, deleted "
        "afterwards)"
        if limits == "Redis"
        else "throttle counters in the database cache (`--limits database`)"
    )
    lines = [
        f'`make loadtest ARGS="--seconds {args.seconds:g} --threads {args.threads}"`, '
        f"run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {_machine()}: "
        f"`gunicorn -w {args.workers} -k sync`, PostgreSQL on loopback, {store}, "
        f"{args.threads} client threads in one process on the same cores, {wall:.0f} s. "
        f"**{len(samples) / wall:,.0f} requests/s overall, {errors} errors.**",
        "",
        _cpu_line(cpu, len(samples)),
        "",
        *_table(samples, wall),
        "",
        "| check after the run | result | detail |",
        "|---|---|---|",
        *[f"| {name} | {'pass' if ok else '**FAIL**'} | {detail} |" for name, ok, detail in checks],
    ]
    return lines


def _replace_block(text: str, begin: str, end: str, lines: list[str]) -> str | None:
    if begin not in text or end not in text:
        print(f"{DOC.name} has no {begin} block: not written", file=sys.stderr)
        return None
    head, rest = text.split(begin, 1)
    return head + begin + "\n" + "\n".join(lines) + "\n" + end + rest.split(end, 1)[1]


def _headline(samples: list, wall: float, checks: list) -> list[str]:  # type: ignore[type-arg]
    ms = [s.ms for s in samples]
    errors = sum(not s.ok for s in samples)
    writes_ok = all(ok for name, ok, _d in checks if name != "zero failed requests")
    return [
        "| load test (`make loadtest`) | value | target | |",
        "|---|---:|---|---|",
        f"| requests/s, mixed workload | {len(samples) / wall:,.0f} | | |",
        f"| p50 / p95 / p99 latency | {statistics.median(ms):.0f} / {_pct(ms, 0.95):.0f} / "
        f"{_pct(ms, 0.99):.0f} ms | | |",
        f"| failed requests | {errors} of {len(samples):,} | 0 | "
        f"{'met' if errors == 0 else '**missed**'} |",
        f"| lost or duplicated writes, outbox and audit checks | "
        f"{'none' if writes_ok else 'see load test'} | none | "
        f"{'met' if writes_ok else '**missed**'} |",
    ]


def _write(lines: list[str], headline: list[str]) -> None:
    text = DOC.read_text() if DOC.exists() else ""
    text = _replace_block(text, BEGIN, END, lines) or text
    text = _replace_block(text, HEAD_BEGIN, HEAD_END, headline) or text
    DOC.write_text(text)
    print(f"wrote the load-test blocks of {DOC.relative_to(ROOT)}")


def failed(checks: list[tuple[str, bool, str]]) -> int:
    """0 when every check held; else 1, after naming each failure on stderr."""
    bad = [(name, detail) for name, ok, detail in checks if not ok]
    for name, detail in bad:
        print(f"LOAD TEST CHECK FAILED: {name}: {detail}", file=sys.stderr)
    if bad:
        print(f"LOAD TEST FAILED: {len(bad)} of {len(checks)} checks", file=sys.stderr)
    return 1 if bad else 0


def main() -> int:
    args = _args()
    url = os.environ.get("LOADTEST_DATABASE_URL", DEFAULT_URL)
    if args.instances == 2:
        from bench import loadtest_two

        return loadtest_two.main(args, url)
    started = time.perf_counter()
    limits = _limits(args.limits)
    try:
        return _run(args, url, started, limits)
    finally:
        if limits:
            removed = serve.redis_forget(limits["client"], limits["CACHE_KEY_PREFIX"])
            limits["client"].close()
            print(f"deleted this run's {removed} Redis keys ({limits['CACHE_KEY_PREFIX']}:*)")


def _limits(store: str) -> dict[str, Any]:
    """Redis for the counters (REDIS_URL + a prefix of this run's own), or {}: the database."""
    if store != "redis":
        os.environ.pop("REDIS_URL", None)
        return {}
    url = serve.loadtest_redis_url()
    client = serve.redis_client(url, "the load test keeps its counters in Redis (--limits redis)")
    shared = {"REDIS_URL": url, "CACHE_KEY_PREFIX": serve.redis_prefix()}
    os.environ.update(shared)  # the server inherits them; so do this process's seed and checks
    return {**shared, "client": client}


def _run(args: argparse.Namespace, url: str, started: float, limits: dict[str, Any]) -> int:
    serve.database_recreate(url)
    checkpoints = tempfile.mkdtemp(prefix="rh-loadtest-checkpoints-")
    _setup(url, checkpoints)
    from django.db import connections

    from bench import loadcheck, loadgen

    seeded = loadcheck.seed(users=2, integrations=2, clients=12, referrals=3)
    before = loadcheck.counts()
    connections.close_all()
    print(f"database ready in {time.perf_counter() - started:.0f} s; starting gunicorn", flush=True)
    server = serve.Gunicorn(
        {"DATABASE_URL": url, "AUDIT_CHECKPOINT_DIR": checkpoints},
        workers=args.workers,
        port=args.port_base or None,
    )
    server.start()
    try:
        print(f"{args.threads} clients for {args.seconds:.0f} s on :{server.port}", flush=True)
        start: dict[str, float] = {}

        def measure() -> None:
            start.update(
                gunicorn=server.cpu_seconds(),
                PostgreSQL=_database_cpu(),
                own=time.process_time(),
            )

        samples, pools, wall = loadgen.drive(
            server.port, seeded, args.threads, args.seconds, on_start=measure
        )
        cpu = {
            "gunicorn": server.cpu_seconds() - start["gunicorn"],
            "PostgreSQL": _database_cpu() - start["PostgreSQL"],
            "load generator": time.process_time() - start["own"],
        }
    finally:
        server.stop()
    checks = loadcheck.verify(before, pools.acknowledged())
    errors = sum(not s.ok for s in samples)
    detail = f"{errors} failed; " + ("; ".join(pools.errors[:5]) or "no anomalies")
    checks.insert(0, ("zero failed requests", errors == 0 and not pools.errors, detail))
    lines = _report(args, samples, wall, checks, cpu, limits="Redis" if limits else "database")
    print("\n".join(lines))
    if args.write:
        _write(lines, _headline(samples, wall, checks))
    print(f"total {time.perf_counter() - started:.0f} s")
    return failed(checks)


if __name__ == "__main__":
    sys.exit(main())
