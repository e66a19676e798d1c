"""`make run` (scripts/run-dev.sh): Ctrl-C, SIGTERM or even SIGKILL of the script leaves nothing.

The script is started in its own session as a terminal would start it; the test waits until
the server answers and the worker has its handlers, stops it one way, and then asserts that the
script, the server and the worker are all gone within a few seconds.
"""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from django.db import connection

from bench.serve import children, free_port
from tests.webhooks.signal_burst import handlers_installed

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="the script's process handling does not depend on the database: run on SQLite",
    ),
]


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _interruptible() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(tmp_path: Path) -> tuple[subprocess.Popen[bytes], int, list[int]]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{connection.settings_dict['NAME']}",
        "AUDIT_CHECKPOINT_DIR": str(tmp_path / "checkpoints"),
        "WEBHOOK_POLL_SECONDS": "1",
    }
    script = subprocess.Popen(
        ["scripts/run-dev.sh", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # a process group of its own, like a terminal's job
        # A terminal's job starts with SIGINT at its default. make test runs the SQLite pass in
        # the background of a script, where SIGINT is ignored, and a shell that starts with it
        # ignored cannot trap it: without this the Ctrl-C case tested nothing real there.
        preexec_fn=_interruptible,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        kids = children(script.pid)
        worker = [pid for pid in kids if b"run_worker" in Path(f"/proc/{pid}/cmdline").read_bytes()]
        if len(kids) == 2 and worker and handlers_installed(worker[0]) and _answers(port):
            return script, port, kids
        time.sleep(0.1)
    script.kill()
    raise AssertionError("run-dev.sh did not come up (server and worker) within 30 s")


def _answers(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200
    except OSError:
        return False


def _gone_within(pids: list[int], seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.05)
    return [pid for pid in pids if _alive(pid)]


@pytest.mark.parametrize(
    ("how", "script_exit"),
    [("ctrl-c", 130), ("sigterm", 143), ("sigkill", -9)],
)
def test_stopping_make_run_stops_the_server_and_the_worker(tmp_path, how, script_exit):
    script, port, kids = _start(tmp_path)
    try:
        if how == "ctrl-c":
            os.killpg(script.pid, signal.SIGINT)  # the terminal signals the whole group
        elif how == "sigterm":
            script.send_signal(signal.SIGTERM)
        else:
            script.send_signal(signal.SIGKILL)  # no trap runs: the children's death signal does
        # The script's own bound is 10 s before SIGKILL; a loaded CI machine gets the rest.
        assert script.wait(30) == script_exit
        left = _gone_within(kids, 10)
        assert left == [], f"left behind after {how}: {left}"
        assert not _answers(port)
    finally:  # a failed case leaves nothing behind either: the script, then its children
        if script.poll() is None:
            script.kill()
            script.wait(5)
        for pid in kids:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
