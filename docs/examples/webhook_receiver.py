"""A minimal webhook receiver: verifies signatures, de-duplicates by webhook-id, prints events.

    python docs/examples/webhook_receiver.py --port 9000 --secret whsec_...

Standard library only. For a local demo (`make run` sets WEBHOOK_ALLOW_PRIVATE=1) subscribe
`http://127.0.0.1:9000/hooks`; in production your endpoint must be https on a public address.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from verify_webhook import InvalidWebhook, verify


def make_server(port: int, secret: str, seen: set[str] | None = None) -> ThreadingHTTPServer:
    """A server that answers 204 to authentic messages (once per webhook-id), 401 otherwise."""
    ids: set[str] = seen if seen is not None else set()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            try:
                event = verify(secret, dict(self.headers.items()), body)
            except InvalidWebhook as exc:
                self.send_response(401)
                self.end_headers()
                print(f"rejected: {exc}", flush=True)
                return
            with lock:
                duplicate = event["id"] in ids
                ids.add(event["id"])
            # Acknowledge fast; do the real work (e.g. fetch the referral) after answering.
            self.send_response(204)
            self.end_headers()
            if not duplicate:
                print(json.dumps(event), flush=True)

        def log_message(self, *args: object) -> None:
            pass

    return ThreadingHTTPServer(("127.0.0.1", port), Handler)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--secret", required=True, help="the whsec_... returned on subscribe")
    args = parser.parse_args()
    print(f"listening on http://127.0.0.1:{args.port}/hooks", flush=True)
    make_server(args.port, args.secret).serve_forever()
