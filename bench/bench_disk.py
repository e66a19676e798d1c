"""The physical limits under every durable write on this machine, measured by the bench itself.

* fsync latency: write 8 kB and `fdatasync` it, in a scratch file on the filesystem that
  holds PostgreSQL's WAL (the same disk here; PostgreSQL's `wal_sync_method` is fdatasync).
* durable single-row commits per second at 1 and 4 connections: `INSERT` of one small row per
  transaction, autocommit, `synchronous_commit=on` (the server default). At 4 connections
  PostgreSQL's group commit shares one WAL flush between concurrent commits.

* one locked row, 16 connections: each transaction locks the same row (`FOR UPDATE`), inserts
  a row and updates the locked one, so commits are serialised as appends to one audit chain
  are. "no round trip": all of it in one statement (a function, autocommit), nothing waits on
  the client while the lock is held; "one round trip": `BEGIN; SELECT ... FOR UPDATE`, then
  the insert, the update and `COMMIT` in a second round trip, as the application's locked
  append does (audit/services.py). The baseline is the plain insert at 16 connections. This is
  PostgreSQL's own ceiling for one chain on this machine, whatever the application does.

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


_SETUP = (
    "CREATE TABLE IF NOT EXISTS bench_commit (id bigserial PRIMARY KEY, v text NOT NULL)",
    "CREATE TABLE IF NOT EXISTS bench_head (k int PRIMARY KEY, n bigint NOT NULL)",
    "INSERT INTO bench_head VALUES (1, 0) ON CONFLICT DO NOTHING",
    """CREATE OR REPLACE FUNCTION bench_locked_append(p_v text) RETURNS bigint
    LANGUAGE plpgsql AS $$
    DECLARE v_n bigint;
    BEGIN
      SELECT n INTO v_n FROM bench_head WHERE k = 1 FOR UPDATE;
      INSERT INTO bench_commit (v) VALUES (p_v);
      UPDATE bench_head SET n = v_n + 1 WHERE k = 1;
      RETURN v_n + 1;
    END $$""",
)
_ROW = "referral-sized row"


def _plain(cur: Any) -> None:
    cur.execute("INSERT INTO bench_commit (v) VALUES (%s)", [_ROW])


def _locked_no_trip(cur: Any) -> None:
    cur.execute("SELECT bench_locked_append(%s)", [_ROW])


def _locked_one_trip(cur: Any) -> None:
    cur.execute("BEGIN; SELECT n FROM bench_head WHERE k = 1 FOR UPDATE")
    (n,) = cur.fetchone()
    cur.execute(
        "INSERT INTO bench_commit (v) VALUES (%s); UPDATE bench_head SET n = %s WHERE k = 1; "
        "COMMIT",
        [_ROW, n + 1],
    )


def _commits(connections: int, op: Any = _plain) -> float:
    """Durable transactions per second of `op` with `connections` clients (autocommit)."""
    import psycopg2
    from django.db import connection

    params = connection.get_connection_params()
    with connection.cursor() as cursor:
        for sql in _SETUP:
            cursor.execute(sql)
    counts = [0] * connections
    barrier = threading.Barrier(connections + 1)
    done = threading.Event()

    def work(i: int) -> None:
        conn = psycopg2.connect(**params)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SET synchronous_commit TO on")
            barrier.wait()
            while not done.is_set():
                op(cur)
                counts[i] += 1
        conn.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(connections)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    time.sleep(SECONDS)
    done.set()
    elapsed = time.perf_counter() - started
    for t in threads:
        t.join()
    return sum(counts) / elapsed


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
    samples: dict[str, list[float]] = {"plain": [], "none": [], "one": []}
    for _ in range(2):  # interleaved, as every ratio here
        samples["plain"].append(_commits(16))
        samples["none"].append(_commits(16, _locked_no_trip))
        samples["one"].append(_commits(16, _locked_one_trip))
    plain16, none16, one16 = (statistics.median(samples[k]) for k in ("plain", "none", "one"))
    base16 = "durable single-row commits/s, 16 connections"
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
        row(SECTION, base16, plain16, "commits/s"),
        row(
            SECTION,
            "one locked row, 16 connections, no round trip under the lock",
            none16,
            "commits/s",
            baseline=base16,
            ratio=none16 / plain16,
            note="PostgreSQL's ceiling for appends to one chain (pure SQL, no application)",
        ),
        row(
            SECTION,
            "one locked row, 16 connections, one round trip under the lock",
            one16,
            "commits/s",
            baseline=base16,
            ratio=one16 / plain16,
            note="the shape of the application's locked append (lock, then row + COMMIT)",
        ),
    ]
