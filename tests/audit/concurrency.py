"""Writers in threads for the audit chain's concurrency tests (each thread its own connections)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connections

from audit.models import AuditEvent


def concurrently(n: int, work: Callable[[int], None]) -> list[Exception]:
    """Run `work(i)` for i in range(n), in n threads released together; the errors raised."""
    errors: list[Exception] = []
    barrier = threading.Barrier(n)

    def run(i: int) -> None:
        try:
            barrier.wait()
            work(i)
        except Exception as exc:  # noqa: BLE001 - returned to the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def chain_seqs(chain: str) -> list[int]:
    """The seqs stored on `chain`, in order."""
    rows = AuditEvent.objects.filter(chain=chain).order_by("seq").values_list("seq", flat=True)
    return list(rows)
