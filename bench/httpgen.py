"""The HTTP bench's load generator: a separate process, so its CPU is not the server's.

`python -m bench.httpgen` reads one JSON job on stdin: {"port", "threads", "seconds",
"method", "path", "headers", "body"} (`{n}` in the body or an `Idempotency-Key` header value is
replaced by a number unique in this job) and prints {"ok", "errors", "seconds", "latencies_ms"}.
One TCP connection per request, as gunicorn's sync workers close it after each response.
"""

from __future__ import annotations

import http.client
import itertools
import json
import sys
import threading
import time
from typing import Any


def run(job: dict[str, Any]) -> dict[str, Any]:
    counter = itertools.count()
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []
    stop_at = time.perf_counter() + float(job["seconds"])

    def one() -> None:
        n = next(counter)
        headers = {k: v.replace("{n}", str(n)) for k, v in job["headers"].items()}
        body = job.get("body")
        data = body.replace("{n}", str(n)).encode() if body is not None else None
        started = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", int(job["port"]), timeout=30)
        try:
            conn.request(job["method"], job["path"], body=data, headers=headers)
            response = conn.getresponse()
            response.read()
            status = response.status
        finally:
            conn.close()
        elapsed = (time.perf_counter() - started) * 1000
        with lock:
            if 200 <= status < 300:
                latencies.append(elapsed)
            else:
                errors.append(str(status))

    def loop() -> None:
        while time.perf_counter() < stop_at:
            try:
                one()
            except OSError as exc:
                with lock:
                    errors.append(type(exc).__name__)

    started = time.perf_counter()
    threads = [threading.Thread(target=loop) for _ in range(int(job["threads"]))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {
        "ok": len(latencies),
        "errors": errors[:20],
        "error_count": len(errors),
        "seconds": time.perf_counter() - started,
        "latencies_ms": latencies,
    }


if __name__ == "__main__":
    print(json.dumps(run(json.load(sys.stdin))))
