"""The physical limits under every durable write on this machine, measured by the bench itself.

* fsync latency: write 8 kB and `fdatasync` it, in a scratch file on the filesystem that
  holds PostgreSQL's WAL (the same disk here; PostgreSQL's `wal_sync_method` is fdatasync).
* durable single-row commits per second at 1 and 4 connections: `INSERT` of one small row per
  transaction, autocommit, `synchronous_commit=on` (the server default). At 4 connections
  PostgreSQL's group commit shares one WAL flush between concurrent commits.

Every disclosure audit event and every create waits for one such commit; nothing the
application does can make a single request's commit cheaper than this.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import threading
import time
from typing import Any

from bench.harness import ready, row

SECTION = "Machine"
SECONDS = 2.0


def _fsync_latency() -> tuple[float, float]:
    """Median and p99 of write(8 kB) + fdatasync, in microseconds."""
    block = os.urandom(8192)
    samples: list[float] = []
    with tempfile.NamedTemporaryFile(dir=tempfile.gettempdir(), prefix="rh-fsync-") as f:
        fd = f.fileno()
        stop = time.perf_counter() + SECONDS
        while time.perf_counter() < stop:
            started = time.perf_counter()
            os.pwrite(fd, block, 0)
            os.fdatasync(fd)
            samples.append((time.perf_counter() - started) * 1e6)
    samples.sort()
    return statistics.median(samples), samples[int(0.99 * (len(samples) - 1))]


def _commits(connections: int) -> float:
    """Durable one-row INSERT transactions per second with `connections` clients."""
    import psycopg2
    from django.db import connection

    params = connection.get_connection_params()
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_commit (id bigserial PRIMARY KEY, v text NOT NULL)"
        )
    counts = [0] * connections
    stop = time.perf_counter() + SECONDS

    def work(i: int) -> None:
        conn = psycopg2.connect(**params)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SET synchronous_commit TO on")
            while time.perf_counter() < stop:
                cur.execute("INSERT INTO bench_commit (v) VALUES (%s)", ["referral-sized row"])
                counts[i] += 1
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(i,)) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / (time.perf_counter() - started)


def run() -> list[dict[str, Any]]:
    vendor = ready()
    median, p99 = _fsync_latency()
    rows = [
        row(SECTION, "fsync latency: write 8 kB + fdatasync, median", median, "µs"),
        row(SECTION, "fsync latency: write 8 kB + fdatasync, p99", p99, "µs"),
        row(SECTION, "fdatasync ceiling, one writer (1 / median)", 1e6 / median, "syncs/s"),
    ]
    if vendor != "postgresql":
        return rows
    one = _commits(1)
    four = _commits(4)
    return [
        *rows,
        row(SECTION, "durable single-row commits/s, 1 connection", one, "commits/s"),
        row(
            SECTION,
            "durable single-row commits/s, 4 connections",
            four,
            "commits/s",
            baseline="1 connection",
            ratio=four / one,
        ),
    ]
