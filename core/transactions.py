"""A transaction whose owner ends it on any error, and services that then need no savepoint.

`transaction.atomic` nested inside another opens a SAVEPOINT (and RELEASEs it): two round trips,
so that the outer caller may carry on after the inner block fails. The `Idempotency-Key` wrapper
(`api.idempotency`) never carries on: any error inside its transaction rolls all of it back.
Inside such an *owned* transaction `service_atomic()` simply runs in it (no savepoint: an error
propagates to the owner, which rolls it all back; a refusal audited on the independent
connection survives, as before); everywhere else (no key, a caller that catches and continues)
it is the ordinary `transaction.atomic()`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar

from django.db import connection, transaction

_owned: ContextVar[bool] = ContextVar("owned_transaction", default=False)


@contextmanager
def owned_transaction() -> Iterator[None]:
    """`transaction.atomic()` whose every error propagates out of it (nothing inside is retried
    or caught and continued): the services within may skip their savepoints."""
    token = _owned.set(True)
    try:
        with transaction.atomic():
            yield
    finally:
        _owned.reset(token)


def service_atomic() -> AbstractContextManager[object]:
    """The atomic block of a service: inside an owned transaction, that transaction itself
    (an error propagates to its owner, who rolls everything back); else `atomic()`."""
    if _owned.get() and connection.in_atomic_block:
        return nullcontext()
    return transaction.atomic()
