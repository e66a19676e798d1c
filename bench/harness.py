"""Shared bench setup: Django configured against a throwaway test database.

`make bench` runs on PostgreSQL when the local server is reachable (DATABASE_URL), else SQLite.
Call `ready()` first in every bench module; the database is created once per process and
dropped at exit.
"""

from __future__ import annotations

import atexit
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import django

_state: dict[str, Any] = {}


def ready() -> str:
    """Set up Django and a fresh test database once; returns the database vendor."""
    if "vendor" in _state:
        return str(_state["vendor"])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "referral_hub.settings")
    django.setup()
    from django.db import connection
    from django.test.utils import setup_databases, setup_test_environment, teardown_databases

    setup_test_environment()
    old = setup_databases(verbosity=0, interactive=False, aliases={"default", "audit"})
    atexit.register(teardown_databases, old, verbosity=0)
    _state["vendor"] = connection.vendor
    return connection.vendor


def rate(fn: Callable[[], Any], *, seconds: float = 2.0, warmup: int = 20) -> float:
    """Calls per second of `fn`, run repeatedly for about `seconds` after a warm-up."""
    for _ in range(warmup):
        fn()
    count, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        fn()
        count += 1
    return count / elapsed


def interleaved(
    cases: dict[str, Callable[[], Any]], *, rounds: int = 3, seconds: float = 1.5
) -> dict[str, float]:
    """Median calls/s per case, with the cases alternating round by round (same window)."""
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, fn in cases.items():
            samples[name].append(rate(fn, seconds=seconds))
    return {name: statistics.median(values) for name, values in samples.items()}


def row(section: str, name: str, value: float, unit: str, **extra: Any) -> dict[str, Any]:
    return {"section": section, "name": name, "value": value, "unit": unit, **extra}


def database_cpu() -> float:
    """CPU seconds PostgreSQL has used so far on this machine: its live processes, plus what
    the postmaster collected from the backends that exited (a connection closed during the
    measurement still counts). Linux only; 0.0 when the server is elsewhere."""
    from pathlib import Path

    from django.db import connection

    def stat(pid: int) -> list[str]:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    try:
        postmaster = int(stat(backend)[1])
        ticks = os.sysconf("SC_CLK_TCK")
        total = sum(int(v) for v in stat(postmaster)[11:15])  # its own and its reaped children's
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = stat(int(entry.name))
                except OSError:
                    continue
                if int(fields[1]) == postmaster:
                    total += int(fields[11]) + int(fields[12])
        return total / ticks
    except OSError:
        return 0.0
