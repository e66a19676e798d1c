"""Every response the suite's API clients receive is checked against the served OpenAPI schema.

An independent validator (openapi-core) reads the schema drf-spectacular serves and validates
each response of `rest_framework.test.APIClient` for a documented /api/v1/ route: status,
content type, body (errors included: the `Problem` component). A mismatch fails the test that
made the request, so the schema cannot drift from what the server does.
`RH_SCHEMA_CHECK=0` turns it off (e.g. while bisecting something else).
"""

from __future__ import annotations

import functools
import json
import os
from typing import Any

from rest_framework.test import APIClient

_ORIGINAL = APIClient.request


@functools.cache
def served_openapi() -> Any:
    from drf_spectacular.generators import SchemaGenerator
    from openapi_core import Config, OpenAPI

    raw = SchemaGenerator().get_schema(request=None, public=True)
    config = Config(
        extra_media_type_deserializers={"application/problem+json": json.loads},
    )
    return OpenAPI.from_dict(json.loads(json.dumps(raw, default=str)), config=config)


def _documented(response: Any) -> bool:
    request = getattr(response, "wsgi_request", None)
    match = getattr(request, "resolver_match", None)
    if match is None or not match.route.startswith("api/v1/"):
        return False
    return match.url_name != "api-not-found" and not getattr(response, "streaming", False)


def check_response(response: Any) -> None:
    """Raise AssertionError naming the operation and the mismatch."""
    if not _documented(response):
        return
    from openapi_core.contrib.django import DjangoOpenAPIResponse
    from openapi_core.templating.paths.exceptions import OperationNotFound

    request = response.wsgi_request
    try:
        served_openapi().validate_response(_Request(request), DjangoOpenAPIResponse(response))
    except OperationNotFound:
        if response.status_code == 405:  # a method the route does not have: nothing to document
            return
        raise
    except Exception as exc:  # openapi-core raises a family of errors; all are findings
        causes = [str(c) for c in _causes(exc)]
        raise AssertionError(
            f"{request.method} {request.path} -> {response.status_code} does not match the "
            f"OpenAPI schema: {exc}; {causes[:5]}; body: {response.content[:600]!r}"
        ) from exc


@functools.cache
def _request_class() -> Any:
    from openapi_core.contrib.django import DjangoOpenAPIRequest

    class BodylessRequest(DjangoOpenAPIRequest):  # type: ignore[misc]
        """Response validation needs the operation, not the body DRF has already read."""

        @property
        def body(self) -> bytes:
            return b""

    return BodylessRequest


def _Request(request: Any) -> Any:  # noqa: N802
    return _request_class()(request)


def _causes(exc: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    for attr in ("schema_errors", "__cause__"):
        value = getattr(exc, attr, None)
        if isinstance(value, list | tuple):
            found += list(value)
        elif isinstance(value, BaseException):
            found.append(value)
            found += _causes(value)
    return found


def _checked_request(self: APIClient, **kwargs: Any) -> Any:
    response = _ORIGINAL(self, **kwargs)
    check_response(response)
    return response


def install() -> None:
    if os.environ.get("RH_SCHEMA_CHECK", "1") != "0":
        APIClient.request = _checked_request  # type: ignore[method-assign]


def uninstall() -> None:
    APIClient.request = _ORIGINAL  # type: ignore[method-assign]
