"""Harness: start real webhook workers and hit each with a burst of SIGTERM/SIGINT.

    python -m tests.webhooks.signal_burst ROUNDS [--exec N]

A fresh interpreter sets Django up once, then for every round forks a child that runs the
real `run_worker` command (the same code as `manage.py run_worker`, without paying the 1 s
import per round). The last N rounds exec `manage.py run_worker` itself. Each round waits
until the child has installed its handlers (SigCgt in /proc), lets it run for a random moment
(idle wait, tick or poll), sends 2-12 signals with sub-millisecond gaps, alternating SIGTERM
and SIGINT as a Ctrl-C on `make run` plus the script's trap would, and measures how long the
child takes to exit. Prints one JSON line per round: {"round", "signals", "exit", "seconds"};
"exit" is null when the child was still alive after the deadline (then it is SIGKILLed).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

DEADLINE_SECONDS = 8.0
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
ROOT = Path(__file__).resolve().parents[2]


def handlers_installed(pid: int) -> bool:
    """True once the process catches both stop signals (bitmask `SigCgt` of /proc/PID/status)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    line = next(row for row in status.splitlines() if row.startswith("SigCgt:"))
    caught = int(line.split()[1], 16)
    return all(caught & (1 << (sig - 1)) for sig in STOP_SIGNALS)


def fork_worker() -> int:
    pid = os.fork()
    if pid == 0:  # the child: the real command, then leave without running the parent's atexit
        code = 0
        try:
            from django.core.management import call_command

            call_command("run_worker")
        except BaseException:  # noqa: BLE001 - reported as the exit status
            code = 1
        os._exit(code)
    return pid


def exec_worker() -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_worker"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_exit(pid: int, deadline: float) -> int | None:
    """The exit status, or None if the child is still running at `deadline`."""
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.005)
    return None


def one_round(number: int, rng: random.Random, *, real_exec: bool) -> dict[str, object]:
    proc = exec_worker() if real_exec else None
    pid = proc.pid if proc is not None else fork_worker()
    ready_by = time.monotonic() + 30
    while not handlers_installed(pid) and time.monotonic() < ready_by:
        time.sleep(0.002)
    time.sleep(rng.uniform(0, 0.15))  # land anywhere: in the tick, in the idle wait, in between
    count = rng.randint(2, 12)
    started = time.monotonic()
    for index in range(count):
        try:
            os.kill(pid, STOP_SIGNALS[index % 2])
        except ProcessLookupError:
            break
        time.sleep(rng.uniform(0, 0.0005))
    code = wait_exit(pid, started + DEADLINE_SECONDS)
    seconds = time.monotonic() - started
    if code is None:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    if proc is not None:
        proc.returncode = code
    return {"round": number, "signals": count, "exit": code, "seconds": round(seconds, 3)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("rounds", type=int)
    parser.add_argument("--exec", type=int, default=0, dest="exec_rounds")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    import django

    django.setup()
    rng = random.Random(args.seed)
    for number in range(args.rounds):
        real_exec = number >= args.rounds - args.exec_rounds
        print(json.dumps(one_round(number, rng, real_exec=real_exec)), flush=True)


if __name__ == "__main__":
    main()
