"""Limits that hold across processes: the shared stores count atomically, parallel guesses never
get past the limit, and two server processes share one budget (issue 14, Deliver 3 and 5).

Redis tests use the server at REDIS_TEST_URL (default redis://127.0.0.1:6379/0) under a key
prefix unique to the test, and delete their keys afterwards; they are skipped when no Redis
answers.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client

from accounts.limits import counter_incr
from audit.models import AuditEvent

REDIS_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/0")
TOKEN = "/api/v1/auth/token"
WRONG = {"username": "alice", "password": "wrong-password-x1"}


def _redis() -> Any:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    return client


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of our own on the shared Redis; every key under it is deleted afterwards."""
    client = _redis()
    prefix = f"rh-test-{uuid.uuid4().hex}"
    yield prefix
    keys = list(client.scan_iter(match=f"{prefix}*", count=500))
    if keys:
        client.delete(*keys)
    client.close()


def _redis_cache(prefix: str) -> dict[str, Any]:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }


def _database_cache() -> dict[str, Any]:
    return {"default": {"BACKEND": "accounts.cache.DatabaseCache", "LOCATION": "rh_cache"}}


@pytest.fixture(params=["database", "redis"])
def shared_store(request, settings) -> str:  # type: ignore[no-untyped-def]
    """The test runs once on the database cache and once on Redis."""
    if request.param == "redis":
        settings.CACHES = _redis_cache(request.getfixturevalue("redis_prefix"))
    else:
        settings.CACHES = _database_cache()
    return str(request.param)


def _in_threads(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run `work(i)` in `count` threads released together; each has its own DB connection."""
    barrier, results, errors = threading.Barrier(count), [None] * count, []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = work(i)
        except Exception as exc:  # surfaced below with its thread's index
            errors.append((i, repr(exc)))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_counters_are_atomic_across_connections(shared_store):
    key = f"atomic-{uuid.uuid4().hex}"
    values = _in_threads(8, lambda i: [counter_incr(key, ttl=60) for _ in range(25)])
    seen = sorted(v for chunk in values for v in chunk)
    assert seen == list(range(1, 201)), "two increments returned the same value"


def test_the_database_cache_counts_and_expires(db, settings):
    from django.core.cache import cache

    settings.CACHES = _database_cache()
    key = f"n-{uuid.uuid4().hex}"
    assert [counter_incr(key, ttl=60) for _ in range(3)] == [1, 2, 3]
    cache.decr(key)
    assert cache.get(key) == 2
    with pytest.raises(ValueError):
        cache.incr(f"missing-{key}")
    connection.cursor().execute("UPDATE rh_cache SET expires = '2000-01-01'")
    assert counter_incr(key, ttl=60) == 1  # an expired counter starts again


def test_the_redis_counter_counts_expires_and_is_one_round_trip(redis_prefix, settings):
    from django.core.cache import cache

    settings.CACHES = _redis_cache(redis_prefix)
    key = f"n-{uuid.uuid4().hex}"
    client, stored = _redis(), f"{redis_prefix}:1:{key}"  # Django's key: prefix, version, key
    commands: list[str] = []
    real = type(cache._cache.get_client(write=True)).execute_command

    def spy(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        commands.append(str(args[0]))
        return real(self, *args, **kwargs)

    assert counter_incr(key, ttl=60) == 1  # (loads the script into Redis if it has not got it)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(type(cache._cache.get_client(write=True)), "execute_command", spy)
        assert [counter_incr(key, ttl=60) for _ in range(2)] == [2, 3]
    assert commands == ["EVALSHA", "EVALSHA"], "one round trip per increment"
    assert 0 < client.ttl(stored) <= 60, "the increment that created the counter set its TTL"
    client.expire(stored, 5)
    assert counter_incr(key, ttl=60) == 4 and client.ttl(stored) <= 5, "later ones keep it"
    cache.decr(key)
    assert cache.get(key) == 3, "the cache reads and gives back what the script counts"
    client.delete(stored)
    assert counter_incr(key, ttl=60) == 1  # an expired counter starts again
    client.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_guesses_never_get_past_the_limit(shared_store, alice, settings, capsys):
    settings.LOGIN_FAILURE_LIMIT = 5
    settings.LOGIN_FAILURE_IP_LIMIT = 1000
    guesses = 40

    def guess(i: int) -> int:
        return Client().post(TOKEN, WRONG, content_type="application/json").status_code

    statuses = Counter(_in_threads(guesses, guess))
    evaluated = AuditEvent.objects.filter(action="auth.failed", reason="bad_password").count()
    throttled = AuditEvent.objects.filter(action="auth.failed", reason="throttled").count()
    with capsys.disabled():
        print(f"\n[{shared_store}] {guesses} parallel guesses, limit 5: {evaluated} evaluated")
    assert evaluated == 5, f"{evaluated} passwords were checked against a limit of 5"
    assert statuses == {401: 5, 429: guesses - 5}
    assert throttled == guesses - 5


# --- two server processes, one Redis -------------------------------------------------------------
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_limits_hold_across_two_server_processes(alice, redis_prefix, tmp_path, capsys):
    """Two gunicorn masters (two workers each) share one Redis: one sign-in budget for (alice,
    this address) and one anonymous request budget, whichever process answers."""
    from bench.serve import Gunicorn
    from tests.reliability.conftest import child_database_url

    env = {
        "DATABASE_URL": child_database_url(),
        "ENV_FILE": os.environ.get("ENV_FILE", ".dev/test.env"),
        "AUDIT_CHECKPOINT_DIR": str(tmp_path / "checkpoints"),
        "JOB_AUDIT_CHECKPOINT_SECONDS": "0",
        "REDIS_URL": REDIS_URL,
        "CACHE_KEY_PREFIX": redis_prefix,
        "LOGIN_FAILURE_LIMIT": "4",
        "LOGIN_FAILURE_IP_LIMIT": "1000",
        "THROTTLE_ANON_RATE": "30/day",  # one window for the whole test
    }
    servers = [Gunicorn(env, workers=2), Gunicorn(env, workers=2)]
    try:
        for server in servers:
            server.start()
        logins = [_post(servers[i % 2].port, TOKEN, WRONG) for i in range(10)]
        body = {"refresh": "not-a-token"}
        calls = [_post(servers[i % 2].port, "/api/v1/auth/token/refresh", body) for i in range(30)]
    finally:
        for server in servers:
            server.kill_hard()
    statuses = [status for status, _h, _b in logins]
    throttle = Counter(status for status, _h, _b in calls)
    with capsys.disabled():
        print(f"\ntwo gunicorn processes, one Redis: sign-ins {statuses}")
        print(f"anonymous rate 30/day, 10 sign-ins then 30 calls: {dict(throttle)}")
    # One sign-in budget across both processes: 4 passwords checked, then 429s ...
    assert statuses == [401] * 4 + [429] * 6, statuses
    assert all(int(headers["Retry-After"]) >= 1 for _s, headers, _b in logins[4:])
    assert AuditEvent.objects.filter(action="auth.failed", reason="bad_password").count() == 4
    # ... and one request budget: the 10 sign-ins used 10 of 30, so 20 more pass.
    assert throttle == {401: 20, 429: 10}, throttle
    assert all(int(h["Retry-After"]) >= 1 for s, h, _b in calls if s == 429)
    assert _redis().keys(f"{redis_prefix}*"), "the servers did not keep their counters in Redis"


def _post(port: int, path: str, body: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"Content-Type": "application/json"}
        conn.request("POST", path, body=json.dumps(body), headers=headers)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()
