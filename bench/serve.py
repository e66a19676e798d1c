"""A scratch PostgreSQL database and a gunicorn server on loopback (load and fault tests)."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
REDIS_SERVER = "redis://127.0.0.1:6379/0"


def loadtest_redis_url() -> str:
    return os.environ.get("LOADTEST_REDIS_URL", REDIS_SERVER)


def redis_prefix() -> str:
    """A `CACHE_KEY_PREFIX` of this run's own (its keys are deleted afterwards, no flush)."""
    return f"rh-loadtest-{uuid.uuid4().hex[:12]}"


def redis_client(url: str, why: str) -> Any:
    """A Redis client that answers, else exit saying `why` Redis is needed."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise SystemExit(
            f"LOAD TEST FAILED: {why}, and {url} does not answer ({type(exc).__name__}); "
            "set LOADTEST_REDIS_URL"
        ) from exc
    return client


def redis_forget(client: Any, prefix: str) -> int:
    """Delete this run's keys (`prefix:*`), never anything else; returns how many."""
    keys = list(client.scan_iter(match=f"{prefix}:*", count=500))
    if keys:
        client.delete(*keys)
    return len(keys)


def _admin(url: str):  # type: ignore[no-untyped-def]
    parts = urlparse(url)
    conn = psycopg2.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password or None,
        dbname="postgres",
        connect_timeout=3,
    )
    conn.autocommit = True
    return conn


def database_recreate(url: str) -> None:
    """Drop (ending its sessions) and create the database named by `url`."""
    name = urlparse(url).path.lstrip("/")
    assert name.startswith("rh_"), f"refusing to drop {name!r}: scratch databases start with rh_"
    conn = _admin(url)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                [name],
            )
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cur.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Gunicorn:
    """`gunicorn referral_hub.wsgi` in a subprocess; `start()`, `stop()`, `restart()`."""

    def __init__(self, env: dict[str, str], workers: int = 2, port: int | None = None) -> None:
        self.env = {**os.environ, **env}
        self.workers = workers
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = Path(tempfile.gettempdir()) / f"rh-gunicorn-{self.port}.log"

    def start(self, timeout: float = 20.0) -> None:
        command = [
            str(Path(sys.executable).parent / "gunicorn"),
            "referral_hub.wsgi:application",
            f"-w{self.workers}",
            "-ksync",
            f"-b127.0.0.1:{self.port}",
            "--graceful-timeout=10",
            "--timeout=30",
        ]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: kill_hard() reaches the workers
            )
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.proc.returncode}); see {self.log}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s; see {self.log}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> None:
        """Graceful by default (SIGTERM lets in-flight requests finish)."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the master and its live workers."""
        if self.proc is None:
            return 0.0
        return sum(process_cpu(pid) for pid in [self.proc.pid, *children(self.proc.pid)])

    def kill_hard(self) -> None:
        """SIGKILL the master and every worker at once (a crash: no request is finished)."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.proc = None

    def restart(self, sig: int = signal.SIGTERM) -> None:
        if sig == signal.SIGKILL:
            self.kill_hard()
        else:
            self.stop(sig)
        self.start()


def process_cpu(pid: int) -> float:
    """utime + stime of a live process, in seconds (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat[1]) == pid:
            found.append(int(entry.name))
    return found


class Worker:
    """`manage.py run_worker` in a subprocess (webhook deliveries and scheduled jobs)."""

    def __init__(self, env: dict[str, str], name: str = "worker") -> None:
        self.env = {**os.environ, **env}
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = Path(tempfile.gettempdir()) / f"rh-{name}-{os.getpid()}.log"

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "manage.py", "run_worker"],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def cpu_seconds(self) -> float:
        return process_cpu(self.proc.pid) if self.proc is not None else 0.0

    def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM, then the exit code (None if it had to be killed)."""
        if self.proc is None:
            return None
        code: int | None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                code = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                code = None
        else:
            code = self.proc.returncode
        self.proc = None
        return code
