"""`Idempotency-Key` on POST: a retry returns the first result and never does the work twice."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db import IntegrityError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import actor_of
from core.actor import Actor
from core.errors import ApplicationError, ValidationFailed
from core.idempotency import idempotency_cutoff
from core.models import IdempotencyRecord
from core.transactions import owned_transaction

HEADER = "Idempotency-Key"
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="A unique key: a retry with it returns the first result instead of redoing it.",
)


class IdempotencyMismatch(ApplicationError):
    status = 422
    code = "idempotency_key_reused"
    title = "This Idempotency-Key was used with a different request body."


def _fingerprint(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _actor_key(actor: Actor) -> str:
    return f"{actor.kind}:{actor.id}"


def idempotent(
    replay: Callable[[Any, Request, str], Response] | None = None,
) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Decorate a view's `post`. With `replay`, only the created id is stored and the replay
    re-renders it (bodies holding survivor data are never stored); otherwise the 2xx body is.
    """

    def decorator(handler: Callable[..., Response]) -> Callable[..., Response]:
        @wraps(handler)
        def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
            key = request.headers.get(HEADER)
            if key is None:
                return handler(view, request, *args, **kwargs)
            if not 1 <= len(key) <= 200 or not all(" " <= c <= "~" for c in key):
                # Printable ASCII only: a NUL byte, for one, cannot even be stored in PostgreSQL.
                raise ValidationFailed("Idempotency-Key must be 1-200 printable ASCII characters.")
            actor_key, fingerprint = _actor_key(actor_of(request)), _fingerprint(request)
            for attempt in (1, 2):
                try:
                    with owned_transaction():  # any error rolls it all back: no savepoints
                        found = _find(actor_key, key)
                        if found is not None:
                            return _replay(view, request, found, fingerprint, replay)
                        response = handler(view, request, *args, **kwargs)
                        if 200 <= response.status_code < 300:
                            _store(actor_key, key, request, fingerprint, response, replay)
                        return response
                except IntegrityError:
                    # A concurrent twin committed first: our work rolled back, theirs stands.
                    found = _find(actor_key, key)
                    if found is not None:
                        return _replay(view, request, found, fingerprint, replay)
                    # Or the key's previous use expired and the purge job has not run yet:
                    # remove that record and do the work once more (our first try rolled back).
                    if attempt == 2 or not _drop_expired(actor_key, key):
                        raise
            raise AssertionError("unreachable")  # pragma: no cover

        return extend_schema(parameters=[IDEMPOTENCY_PARAMETER])(wrapper)  # type: ignore[no-any-return]

    return decorator


def _find(actor_key: str, key: str) -> IdempotencyRecord | None:
    return IdempotencyRecord.objects.filter(
        actor_key=actor_key, key=key, created_at__gte=idempotency_cutoff()
    ).first()


def _drop_expired(actor_key: str, key: str) -> bool:
    """Delete this key's record if it has expired (never a live one: a twin's stands)."""
    stale = IdempotencyRecord.objects.filter(
        actor_key=actor_key, key=key, created_at__lt=idempotency_cutoff()
    )
    return stale.delete()[0] > 0


def _store(
    actor_key: str,
    key: str,
    request: Request,
    fingerprint: str,
    response: Response,
    replay: Callable[..., Response] | None,
) -> None:
    data = response.data if isinstance(response.data, dict) else {}
    # A record committed by a concurrent twin (or an expired one not yet purged) makes this
    # insert fail on the unique key, so our work rolls back; the wrapper then sorts it out.
    IdempotencyRecord.objects.create(
        actor_key=actor_key,
        key=key,
        method=request.method or "POST",
        path=request.path[:300],
        fingerprint=fingerprint,
        status_code=response.status_code,
        resource_id=str(data.get("id", ""))[:64],
        body=None if replay else response.data,
    )


def _replay(
    view: Any,
    request: Request,
    record: IdempotencyRecord,
    fingerprint: str,
    replay: Callable[..., Response] | None,
) -> Response:
    if record.fingerprint != fingerprint:
        raise IdempotencyMismatch()
    if replay is not None:
        response = replay(view, request, record.resource_id)
        response.status_code = record.status_code
    else:
        response = Response(record.body, status=record.status_code)
    response["Idempotent-Replayed"] = "true"
    return response
