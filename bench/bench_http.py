"""The referral read and create ratios over HTTP: gunicorn (2 sync workers) on PostgreSQL, the
load generator in a separate process (`bench/httpgen.py`), p50/p95/p99 per case.

Same pairs as `bench_referrals` (recipient read vs JWT agency read; referral create vs program
create, with and without `Idempotency-Key`), the cases alternating round by round. A second
server with `DB_CONN_HEALTH_CHECKS=0` runs the two reads too, to price the per-request
`SELECT 1` of Django's connection health check. `BENCH_HTTP_PORT` picks the first port (the
second is the next one); otherwise free ports. PostgreSQL only (the server needs a real
database shared with this process).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from typing import Any
from urllib.parse import urlparse, urlunparse

from bench.bench_referrals import CREATE_TARGET, READ_TARGET
from bench.harness import ready, row
from bench.serve import ROOT, Gunicorn

SECTION = "HTTP"
ROUNDS = 3
SECONDS = float(os.environ.get("BENCH_HTTP_SECONDS", "4"))
THREADS = 4  # two sync workers are saturated at 4 connections (research/perf-baseline.md)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def _load(port: int, case: dict[str, Any]) -> dict[str, Any]:
    job = {"port": port, "threads": THREADS, "seconds": SECONDS, **case}
    done = subprocess.run(
        [sys.executable, "-m", "bench.httpgen"],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    assert result["error_count"] == 0, (case["path"], result["errors"])
    return result


def _cases(s: dict[str, Any], referral_id: str, run: str) -> dict[str, dict[str, Any]]:
    def auth(who: str, **more: str) -> dict[str, str]:
        return {"Authorization": s[who], "Content-Type": "application/json", **more}

    program = json.dumps({"name": f"HTTP {run} {{n}}", "service_type": "other"})
    key = {"Idempotency-Key": f"http-{run}-{{n}}"}
    programs = f"/api/v1/agencies/{s['sender_agency'].id}/programs/"
    return {
        "plain_read": {
            "method": "GET",
            "path": f"/api/v1/agencies/{s['recipient_agency'].id}/",
            "headers": auth("recipient"),
        },
        "referral_read": {
            "method": "GET",
            "path": f"/api/v1/referrals/{referral_id}/",
            "headers": auth("recipient"),
        },
        "plain_create": {
            "method": "POST",
            "path": programs,
            "headers": auth("admin"),
            "body": program.replace("{n}", "a{n}"),
        },
        "referral_create": {
            "method": "POST",
            "path": "/api/v1/referrals/",
            "headers": auth("sender"),
            "body": s["body"],
        },
        "plain_create_key": {
            "method": "POST",
            "path": programs,
            "headers": auth("admin", **key),
            "body": program.replace("{n}", "k{n}"),
        },
        "referral_create_key": {
            "method": "POST",
            "path": "/api/v1/referrals/",
            "headers": auth("sender", **key),
            "body": s["body"],
        },
    }


def _fresh_tokens(s: dict[str, Any]) -> None:
    """Access tokens live at most 5 minutes: new ones for every round."""
    from accounts.models import TokenFamily
    from api import tokens

    for name, user in s["users"].items():
        s[name] = f"Bearer {tokens.user_access(user, TokenFamily.objects.create(user=user))}"


def _server_env() -> dict[str, str]:
    from django.db import connection

    url = urlparse(os.environ["DATABASE_URL"])
    test_db = str(connection.settings_dict["NAME"])
    return {
        "DATABASE_URL": urlunparse(url._replace(path=f"/{test_db}")),
        "ENV_FILE": str(ROOT / ".dev" / "test.env"),
    }


def run() -> list[dict[str, Any]]:
    vendor = ready()
    if vendor != "postgresql":
        return [row(SECTION, "HTTP bench", 0, "req/s", note="PostgreSQL only: skipped")]
    from bench.bench_referrals import _setup

    s = _setup("http")
    base = int(os.environ.get("BENCH_HTTP_PORT", "0")) or None
    env = _server_env()
    checked = Gunicorn({**env, "DB_CONN_HEALTH_CHECKS": "1"}, workers=2, port=base)
    unchecked = Gunicorn(
        {**env, "DB_CONN_HEALTH_CHECKS": "0"}, workers=2, port=base + 1 if base else None
    )
    checked.start()
    try:
        unchecked.start()
        try:
            return _measure(s, checked, unchecked)
        finally:
            unchecked.stop()
    finally:
        checked.stop()


def _referral(s: dict[str, Any], port: int) -> str:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": s["sender"], "Content-Type": "application/json"}
    conn.request("POST", "/api/v1/referrals/", body=s["body"], headers=headers)
    response = conn.getresponse()
    assert response.status == 201, response.read()
    return str(json.loads(response.read())["id"])


def _measure(s: dict[str, Any], checked: Gunicorn, unchecked: Gunicorn) -> list[dict[str, Any]]:
    _fresh_tokens(s)
    referral_id = _referral(s, checked.port)
    rates: dict[str, list[float]] = {}
    latencies: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    for rnd in range(ROUNDS):
        _fresh_tokens(s)
        cases = _cases(s, referral_id, f"r{rnd}")
        plan = [(name, checked, case) for name, case in cases.items()]
        plan += [(f"{n}_nocheck", unchecked, cases[n]) for n in ("plain_read", "referral_read")]
        for name, server, case in plan:
            before = server.cpu_seconds()
            result = _load(server.port, case)
            spent = server.cpu_seconds() - before
            rates.setdefault(name, []).append(result["ok"] / result["seconds"])
            latencies.setdefault(name, []).extend(result["latencies_ms"])
            cpu.setdefault(name, []).append(1000 * spent / max(result["ok"], 1))
    med = {name: statistics.median(values) for name, values in rates.items()}
    out = []
    labels = {
        "plain_read": ("JWT agency detail read", None, None),
        "referral_read": ("recipient referral read", "plain_read", READ_TARGET),
        "plain_create": ("program create", None, None),
        "referral_create": ("referral create", "plain_create", CREATE_TARGET),
        "plain_create_key": ("program create with Idempotency-Key", None, None),
        "referral_create_key": (
            "referral create with Idempotency-Key",
            "plain_create_key",
            CREATE_TARGET,
        ),
        "plain_read_nocheck": ("JWT agency detail read, health checks off", "plain_read", None),
        "referral_read_nocheck": (
            "recipient referral read, health checks off",
            "referral_read",
            None,
        ),
    }
    for name, (label, baseline, target) in labels.items():
        lat = latencies[name]
        note = (
            f"p50/p95/p99 {_pct(lat, 0.5):.1f}/{_pct(lat, 0.95):.1f}/{_pct(lat, 0.99):.1f} ms; "
            f"gunicorn CPU {statistics.median(cpu[name]):.2f} ms/request"
        )
        out.append(
            row(
                SECTION,
                f"{label} (gunicorn -w 2, {THREADS} connections)",
                med[name],
                "req/s",
                baseline=labels[baseline][0] if baseline else None,
                ratio=med[name] / med[baseline] if baseline else None,
                target=target,
                note=note,
                p50=_pct(lat, 0.5),
                p95=_pct(lat, 0.95),
                p99=_pct(lat, 0.99),
                cpu_ms=statistics.median(cpu[name]),
            )
        )
    return out
