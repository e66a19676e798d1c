"""The API docs pages render in a real browser from local assets, under their self-only CSP."""

from __future__ import annotations

from typing import Any

REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


def test_swagger_ui_renders_the_operations_with_no_csp_violation(tab: Any) -> None:
    me = tab()
    requests: list[str] = []
    me.page.on("request", lambda r: requests.append(r.url))
    page = me.visit("/api/docs")
    page.wait_for_selector(".opblock", timeout=20_000)
    assert page.locator(".opblock").count() > 50
    assert not me.csp_violations(), me.csp_violations()
    assert all(url.startswith(me.base) or url.startswith("data:") for url in requests), requests


def test_redoc_renders_with_no_csp_violation(tab: Any) -> None:
    me = tab()
    requests: list[str] = []
    me.page.on("request", lambda r: requests.append(r.url))
    page = me.visit("/api/redoc")
    page.wait_for_selector("text=referral-hub API", timeout=20_000)
    # ReDoc's bundle links its "API docs by Redocly" footer logo to its CDN: the CSP blocks it,
    # which is the point; nothing else may leave this origin.
    elsewhere = [u for u in requests if not u.startswith((me.base, "data:", "blob:"))]
    assert set(elsewhere) <= {REDOC_LOGO}, elsewhere
    me.console[:] = [m for m in me.console if REDOC_LOGO not in m]
    assert not [v for v in me.csp_violations() if REDOC_LOGO not in v], me.csp_violations()
