"""Stop requests from SIGTERM/SIGINT that cannot deadlock, and a deadline that always holds.

A Python signal handler runs between two bytecodes of the main thread, possibly inside code
that holds a lock; if the handler takes a lock too (`threading.Event.set()` does), a second
signal can deadlock the process. So the handler here only assigns a flag. The wakeup fd
(`signal.set_wakeup_fd`), written by CPython's C-level handler, carries the news to a watcher
thread, which wakes the loop's idle wait (an ordinary `Event.set()` from an ordinary thread)
and starts the deadline: if the loop has not returned `grace` seconds after the first signal
(stuck in a database call, say), the process exits at once. That is safe: unsent claims
return when their lease expires, exactly as after `kill -9`.
"""

from __future__ import annotations

import logging
import os
import select
import signal
import threading
import time
from types import FrameType

logger = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
EXIT_STUCK = 70  # EX_SOFTWARE: stopped by the deadline, not by the loop


class StopRequest:
    """`is_set()` / `wait(timeout)` like `threading.Event`, set by SIGTERM or SIGINT."""

    def __init__(self, *, grace_seconds: float) -> None:
        self.grace_seconds = grace_seconds
        self.requested = False  # written by the signal handler: a plain assignment, no lock
        self._woken = threading.Event()  # set by the watcher thread only, never by a handler
        self._read, self._write = os.pipe()
        for fd in (self._read, self._write):
            os.set_blocking(fd, False)

    def install(self) -> None:
        """Install the handlers and the wakeup fd (main thread only), start the watcher."""
        for sig in STOP_SIGNALS:
            signal.signal(sig, self._handle)
        signal.set_wakeup_fd(self._write, warn_on_full_buffer=False)
        threading.Thread(target=self._watch, name="stop-watcher", daemon=True).start()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.requested = True

    def _watch(self) -> None:
        while True:
            select.select([self._read], [], [])
            try:
                data = os.read(self._read, 512)
            except BlockingIOError:
                continue
            if any(byte in STOP_SIGNALS for byte in data):
                break
        self.requested = True
        self._woken.set()
        logger.info("webhook worker stopping", extra={"grace_seconds": self.grace_seconds})
        time.sleep(self.grace_seconds)
        logger.error("webhook worker did not stop in time; exiting now")
        os._exit(EXIT_STUCK)

    def ignore_further_signals(self) -> None:
        """Once the loop has returned: a late signal must not kill the exiting process.

        (At interpreter exit CPython resets Python-level handlers to the default action, so a
        SIGTERM from the tail of a burst would turn a clean exit into "killed by SIGTERM".)
        """
        for sig in STOP_SIGNALS:
            signal.signal(sig, signal.SIG_IGN)

    def is_set(self) -> bool:
        return self.requested

    def set(self) -> None:
        """Ask the loop to stop from ordinary code (tests)."""
        self.requested = True
        self._woken.set()

    def wait(self, timeout: float | None = None) -> bool:
        self._woken.wait(timeout)
        return self.requested
