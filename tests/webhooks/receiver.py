"""A real webhook receiver on 127.0.0.1 (threaded http.server) for the delivery tests."""

from __future__ import annotations

import json
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "docs" / "examples"))
from verify_webhook import InvalidWebhook, verify  # noqa: E402


class Receiver:
    """Verifies signatures; `mode` is ok | fail | accept_then_fail | redirect.

    `accepted` holds exactly one body per webhook-id (de-duplicated); `received` counts posts.
    """

    def __init__(self, port: int = 0, tls: ssl.SSLContext | None = None) -> None:
        self.secret = ""
        self.mode = "ok"
        self.accepted: dict[str, dict[str, Any]] = {}
        self.received: list[str] = []
        self.rejected = 0
        self.paths: list[str] = []
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.port = port
        self.tls = tls
        self.start()

    @property
    def url(self) -> str:
        if self.tls is not None:
            return f"https://localhost:{self.port}/hooks"
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.handle(self, body)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        if self.tls is not None:
            self._server.socket = self.tls.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def handle(self, request: BaseHTTPRequestHandler, body: bytes) -> None:
        with self.lock:
            self.paths.append(request.path)
            if self.mode == "redirect":
                return self._reply(
                    request, 302, b"", location=f"http://127.0.0.1:{self.port}/moved"
                )
            try:
                event = verify(self.secret, dict(request.headers.items()), body)
            except InvalidWebhook:
                self.rejected += 1
                return self._reply(request, 401, b"bad signature")
            msg_id = request.headers["webhook-id"]
            self.received.append(msg_id)
            if self.mode == "fail":
                return self._reply(request, 500, b"down for maintenance" + b"x" * 600)
            self.accepted.setdefault(msg_id, {"event": event, "headers": dict(request.headers)})
            status = 500 if self.mode == "accept_then_fail" else 200
            return self._reply(request, status, json.dumps({"ok": True}).encode())

    @staticmethod
    def _reply(
        request: BaseHTTPRequestHandler, status: int, body: bytes, location: str = ""
    ) -> None:
        request.send_response(status)
        if location:
            request.send_header("Location", location)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)
