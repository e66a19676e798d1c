"""Fault tests: real processes (gunicorn, the webhook worker) against the PostgreSQL test DB.

Tests here are transactional (`transaction=True`): their rows are committed, so the
subprocesses, which connect to the same test database, see them.
"""

from __future__ import annotations

import http.client
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import User
from agencies.models import Agency
from bench.serve import Gunicorn
from clients.models import Client
from consent.models import Consent
from consent.services import ConsentTerms, consent_grant
from tests.conftest import access_token_for, actor


@pytest.fixture(autouse=True)
def _reliability_settings(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.AUDIT_CHECKPOINT_DIR = str(tmp_path / "checkpoints")


def child_database_url() -> str:
    """The URL of the test database this pytest run created (for subprocesses)."""
    db = connection.settings_dict
    user, host, port = db["USER"] or "postgres", db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


@pytest.fixture
def child_env(tmp_path) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Environment for a subprocess of the app: this test database, quiet background jobs."""
    return {
        "DATABASE_URL": child_database_url(),
        "AUDIT_CHECKPOINT_DIR": str(tmp_path / "checkpoints"),
        "ENV_FILE": os.environ.get("ENV_FILE", ".dev/test.env"),
        "JOB_REFERRAL_EXPIRE_SECONDS": "0",
        "JOB_REFERRAL_REMIND_SECONDS": "0",
        "JOB_CONSENT_EXPIRE_SECONDS": "0",
        "JOB_AUDIT_CHECKPOINT_SECONDS": "0",
        "THROTTLE_ACTOR_RATE": "100000/min",
    }


@pytest.fixture
def gunicorn(child_env: dict[str, str]) -> Iterator[Gunicorn]:
    server = Gunicorn(child_env, workers=2)
    server.start()
    yield server
    server.kill_hard()


@dataclass
class Sending:
    """Alice (Eastside) may refer `client` to Safe Harbor Housing under `consent`."""

    alice: User
    recipient: Agency
    client: Client
    consent: Consent
    token: str

    def body(self, n: int = 0) -> dict[str, Any]:
        return {
            "client_id": str(self.client.id),
            "recipient_agency_id": str(self.recipient.id),
            "consent_id": str(self.consent.id),
            "service_type": "shelter",
            "reason": f"Reliability test referral {n} (synthetic)",
        }


@pytest.fixture
def sending(alice: User, safehouse: Agency, make_client: Callable[..., Client]) -> Sending:
    client = make_client(alice.agency, given_name="Fault", family_name="Tolerant")
    terms = ConsentTerms(
        recipient_agency_id=safehouse.id,
        categories=("identity",),
        purpose="housing",
        method="written",
        signed_by="client",
        informed=True,
        expires_at=timezone.now() + timedelta(days=30),
    )
    consent = consent_grant(actor=actor(alice), client=client, terms=terms)  # audited: chain head
    return Sending(alice, safehouse, client, consent, access_token_for(alice))


def post(
    port: int,
    path: str,
    body: dict[str, Any],
    *,
    token: str,
    key: str | None = None,
    method: str = "POST",
) -> tuple[int, dict[str, str], bytes]:
    """One request on a fresh connection; raises OSError when the server is not there and
    `http.client.HTTPException` (e.g. IncompleteRead) when the answer is cut off."""
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=json.dumps(body), headers=headers)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


WAITING = """
SELECT pid FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'
"""


def waiting_backends(cur, count: int = 1, timeout: float = 10.0) -> list[int]:  # type: ignore[no-untyped-def]
    """The pids of the `count` backends blocked on a lock (the parked requests)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        cur.execute("SELECT pg_stat_clear_snapshot()")  # else the view is frozen per transaction
        cur.execute(WAITING)
        pids = [int(row[0]) for row in cur.fetchall()]
        if len(pids) >= count:
            assert len(pids) == count, f"expected {count} blocked requests, found {pids}"
            return pids
        time.sleep(0.02)
    raise AssertionError("the request never blocked on the audit chain lock")
