"""The compose stack's entrypoints, run as processes with the compose file's own environment.

init-roles.sh (as the postgres image would) -> `entrypoint.sh migrate` as the owner role ->
`entrypoint.sh api` (gunicorn) and `entrypoint.sh worker` as the application role -> the api
healthcheck script -> the Caddyfile in front (Debian's caddy, when it can be had), probed over
TLS with the certificate it generated. Then SIGTERM stops both. See tests/ops/stack.py.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import ssl
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from django.db import connection

from bench.serve import free_port
from tests.debian import ensure
from tests.ops.stack import ROOT, Stack, compose, run

pytestmark = pytest.mark.postgres
REDIS_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/0")


def _redis() -> Any:
    """The local Redis standing in for the compose `redis` service, or None."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        client.close()
        return None
    return client


def _forget(client: Any, prefix: str) -> None:
    """Delete this run's keys (and only those) from the shared Redis."""
    keys = list(client.scan_iter(match=f"{prefix}:*", count=500))
    if keys:
        client.delete(*keys)


def _admin(stack: Stack, db: str = "postgres", user: str = "postgres"):  # type: ignore[no-untyped-def]
    conn = psycopg2.connect(host=stack.pg_host, port=stack.pg_port, user=user, dbname=db)
    conn.autocommit = True
    return conn


def _get(port: int, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def _wait(check, seconds: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class Running:
    def __init__(self, stack: Stack, api: subprocess.Popen[bytes], worker: subprocess.Popen[bytes]):
        self.stack, self.api, self.worker = stack, api, worker


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:  # type: ignore[no-untyped-def]
    settings = connection.settings_dict
    made = Stack(
        tmp=tmp_path_factory.mktemp("compose"),
        pg_host=settings["HOST"] or "127.0.0.1",
        pg_port=int(settings["PORT"] or 5432),
        prefix=settings["NAME"],  # e.g. test_rh_ops: names of this run only
    )
    redis_client = _redis()
    if redis_client is not None:
        made.redis_url = REDIS_URL
        made.redis_prefix = f"rh-compose-test-{uuid.uuid4().hex}"
    admin = _admin(made)
    made.cleanup(admin)  # a previous run that died
    made.prepare()
    postgres_env = made.env("postgres", PGHOST=made.pg_host, PGPORT=str(made.pg_port))
    postgres_env.pop("POSTGRES_USER")  # the image runs it as its superuser; here: PGUSER
    assert postgres_env["RH_DB_NAME"] == made.db and made.db.startswith(made.prefix)
    done = run(made, ["deploy/postgres/init-roles.sh"], {**postgres_env, "PGUSER": "postgres"})
    assert done.returncode == 0, done.stderr
    migrate = run(made, ["deploy/entrypoint.sh", "migrate"], made.env("migrate"), timeout=300)
    assert migrate.returncode == 0, migrate.stdout[-3000:] + migrate.stderr[-3000:]
    made.migrate_output = migrate.stdout  # type: ignore[attr-defined]
    yield made
    made.cleanup(admin)
    admin.close()
    if redis_client is not None:
        _forget(redis_client, made.redis_prefix)
        redis_client.close()


@pytest.fixture(scope="module")
def running(stack: Stack) -> Iterator[Running]:
    stack.ports["api"] = free_port()
    logs = stack.tmp / "logs"
    logs.mkdir(exist_ok=True)
    procs = []
    for service, extra in (("api", {"PORT": str(stack.ports["api"])}), ("worker", {})):
        with (logs / f"{service}.log").open("wb") as out:
            procs.append(
                subprocess.Popen(
                    ["deploy/entrypoint.sh", service],
                    cwd=ROOT,
                    env=stack.env(service, WEBHOOK_POLL_SECONDS="1", **extra),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
    api, worker = procs
    health = stack.env("api", PORT=str(stack.ports["api"]))
    _wait(
        lambda: run(stack, ["python3", "deploy/healthcheck.py"], health).returncode == 0,
        60,
        "the api healthcheck to pass",
    )
    yield Running(stack, api, worker)
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def test_migrate_ran_as_the_owner_and_left_the_app_role_append_only(stack):
    assert "key ring seeded" in stack.migrate_output
    assert f"hardened: {stack.app_role} may only INSERT/SELECT audit rows" in stack.migrate_output
    ring = stack.tmp / "volumes" / "keys" / "field-keys.json"
    assert ring.stat().st_mode & 0o777 == 0o600
    assert json.loads(ring.read_text()) == json.loads((stack.secrets / "field_keys").read_text())
    owner = _admin(stack, stack.db)
    with owner.cursor() as cur:
        cur.execute("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'")
        assert [row[0] for row in cur.fetchall()] == [stack.owner_role]
    owner.close()
    app = _admin(stack, stack.db, user=stack.app_role)
    with app.cursor() as cur:
        cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        assert cur.fetchone() == (False,)
        cur.execute("SELECT count(*) FROM audit_auditevent")  # SELECT is granted
        for sql in ("UPDATE audit_auditevent SET action = 'x'", "DELETE FROM audit_auditevent"):
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cur.execute(sql)
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cur.execute("CREATE TABLE sneaky (id int)")  # owns nothing, creates nothing
    app.close()


def test_api_and_worker_connect_only_as_the_application_role(running):
    stack = running.stack
    admin = _admin(stack)

    def roles() -> set[str]:
        with admin.cursor() as cur:
            cur.execute("SELECT pg_stat_clear_snapshot()")
            cur.execute("SELECT usename FROM pg_stat_activity WHERE datname = %s", [stack.db])
            return {row[0] for row in cur.fetchall()}

    # The worker polls every second; the api connected for its readiness probe.
    _wait(lambda: len(roles()) > 0, 10, "the api and worker connections")
    assert roles() == {stack.app_role}
    admin.close()


def test_the_healthcheck_sends_what_the_proxy_sends(running):
    port = running.stack.ports["api"]
    # The old healthcheck's request: a bare Host that is not in ALLOWED_HOSTS.
    status, _, _ = _get(port, "/readyz", {"Host": f"127.0.0.1:{port}"})
    assert status == 400
    # Without the proxy's header every API call is redirected to an https nothing serves here.
    status, headers, _ = _get(port, "/api/v1/referrals/", {"Host": "localhost"})
    assert status == 301 and headers["Location"].startswith("https://localhost/")
    status, _, body = _get(port, "/readyz", {"Host": "localhost", "X-Forwarded-Proto": "https"})
    assert status == 200 and json.loads(body)["status"] == "ready"


def test_through_the_tls_proxy_with_its_generated_certificate(running, tmp_path):
    caddy = ensure("caddy", "caddy")
    if caddy is None:
        pytest.skip("caddy is not installed and this is not root: `apt-get install caddy`")
    https, http_port = free_port(), free_port()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "SITE_NAME": "localhost",
        "HTTPS_PORT": str(https),
        "HTTP_PORT": str(http_port),
        "UPSTREAM": f"127.0.0.1:{running.stack.ports['api']}",
    }
    assert compose()["services"]["proxy"]["environment"]["UPSTREAM"] == "api:8000"
    proxy = subprocess.Popen(
        [caddy, "run", "--config", "deploy/Caddyfile", "--adapter", "caddyfile"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "caddy.log").open("wb"),
    )
    try:
        root = tmp_path / "data" / "caddy" / "pki" / "authorities" / "local" / "root.crt"
        _wait(root.exists, 30, "caddy to generate its dev CA")
        tls = ssl.create_default_context(cafile=str(root))  # verified: no insecure shortcut

        def get(path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
            conn = http.client.HTTPSConnection("localhost", https, context=tls, timeout=10)
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                return response.status, dict(response.getheaders()), response.read()
            finally:
                conn.close()

        def ready() -> bool:
            try:
                return get("/readyz")[0] == 200
            except OSError:
                return False

        _wait(ready, 30, "the proxy to serve /readyz")
        # A client's own X-Forwarded-Proto is replaced by the proxy: still https, no redirect.
        status, headers, body = get("/api/v1/referrals/", **{"X-Forwarded-Proto": "http"})
        assert status == 401 and json.loads(body)["code"] == "not_authenticated"
        assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    finally:
        proxy.send_signal(signal.SIGTERM)
        proxy.wait(10)


def test_the_api_keeps_its_sign_in_limits_in_redis_under_the_runs_own_prefix(running):
    stack = running.stack
    client = _redis()
    if client is None or stack.redis_url is None:
        pytest.skip(f"no Redis at {REDIS_URL}: the api used the database cache instead")
    assert stack.env("api")["REDIS_URL"] == REDIS_URL
    assert compose()["services"]["api"]["environment"]["REDIS_URL"] == "redis://redis:6379/0"
    conn = http.client.HTTPConnection("127.0.0.1", stack.ports["api"], timeout=10)
    body = json.dumps({"username": "nobody-here", "password": "wrong-password-x1"})
    headers = {"Host": "localhost", "X-Forwarded-Proto": "https"}
    headers["Content-Type"] = "application/json"
    conn.request("POST", "/api/v1/auth/token", body, headers)
    response = conn.getresponse()
    response.read()
    conn.close()
    assert response.status == 401
    keys = list(client.scan_iter(match=f"{stack.redis_prefix}:*", count=500))
    client.close()
    assert keys, "the failed sign-in was not counted in Redis under this run's prefix"


def test_sigterm_stops_api_and_worker_within_their_grace_periods(running):
    worker_grace = int(compose()["services"]["worker"]["environment"]["WORKER_STOP_GRACE_SECONDS"])
    started = time.monotonic()
    running.worker.send_signal(signal.SIGTERM)
    running.api.send_signal(signal.SIGTERM)
    assert running.worker.wait(worker_grace + 2) == 0
    assert running.api.wait(30) == 0
    assert time.monotonic() - started < 10  # nothing in flight: both leave at once


def test_checkpoints_land_in_the_shared_volume(stack):
    env = stack.env("worker")
    manage = ["deploy/entrypoint.sh", "manage"]
    made = run(stack, [*manage, "create_agency", "Compose Clinic", "--kind", "legal_clinic"], env)
    assert made.returncode == 0, made.stderr[-2000:]  # an audited write, as the app role
    done = run(stack, [*manage, "audit_checkpoint"], env)
    assert done.returncode == 0, done.stderr[-2000:]
    published = list(Path(env["AUDIT_CHECKPOINT_DIR"]).glob("*/latest.json"))
    assert published and json.loads(published[0].read_text())["signature"]
    assert env["AUDIT_CHECKPOINT_DIR"] == stack.env("api")["AUDIT_CHECKPOINT_DIR"]
