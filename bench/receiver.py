"""A partner's webhook endpoint on loopback, for the two-instance load test.

Records every POST it receives (path, `webhook-id`, whether the Standard Webhooks signature
verified) and answers 204. To exercise retries it refuses (503) the first copy of a fixed share
of event ids, chosen by hashing the id, so a worker must send those again: the checks then
expect exactly `attempt_count` receipts and one accepted receipt per delivery, i.e. duplicates
only where a retry was due.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from webhooks import signing

REFUSE_SHARE = 0.05  # first copies answered 503, so the worker retries them


def refused_first(event_id: str) -> bool:
    return int(hashlib.sha256(event_id.encode()).hexdigest()[:8], 16) < REFUSE_SHARE * 2**32


class Receiver:
    """`start()`, `stop()`; `secrets[path]` is the subscription secret expected on `path`."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.secrets: dict[str, str] = {}
        self.lock = threading.Lock()
        self.received: Counter[tuple[str, str]] = Counter()  # (path, event id) -> copies
        self.accepted: Counter[tuple[str, str]] = Counter()  # answered 2xx
        self.bad: list[str] = []  # unsigned, badly signed or malformed requests
        self._server: ThreadingHTTPServer | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                code = receiver.record(self.path, dict(self.headers.items()), body)
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def record(self, path: str, headers: dict[str, str], body: bytes) -> int:
        lower = {k.lower(): v for k, v in headers.items()}
        msg_id, stamp = lower.get("webhook-id", ""), lower.get("webhook-timestamp", "0")
        secret = self.secrets.get(path)
        try:
            event_id = str(json.loads(body)["id"])
        except (ValueError, KeyError, TypeError):
            event_id = ""
        expected = (
            signing.sign(secret, msg_id=msg_id, timestamp=int(stamp), body=body) if secret else ""
        )
        offered = lower.get("webhook-signature", "").split()
        signed = bool(expected) and any(hmac.compare_digest(expected, s) for s in offered)
        with self.lock:
            if not signed or event_id != msg_id or not event_id:
                self.bad.append(f"{path} {msg_id[:8]}: signed={signed}")
                return 400
            key = (path, event_id)
            self.received[key] += 1
            if self.received[key] == 1 and refused_first(event_id):
                return 503
            self.accepted[key] += 1
            return 204

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
