"""Browser tests: real Chromium (Debian's /usr/bin/chromium) driven by Playwright.

One browser for the whole session, a fresh context (cookies, storage) per test. Every page a
test opens through `visit`/`check` is checked for Content-Security-Policy violations (console
messages and `securitypolicyviolation` events) and, with `check`, by axe-core (vendored,
injected with `page.evaluate`, which the CSP allows): no serious or critical violation.

They run in ONE pass of `make test`: scripts/test.sh sets RH_BROWSER_TESTS=0 for the SQLite pass
when the PostgreSQL pass follows. Without Chromium they are skipped with the reason.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
AXE = Path(__file__).parent / "vendor" / "axe" / "axe.min.js"
SHOTS = Path(__file__).resolve().parents[3] / "docs" / "console"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline'));
});
"""


def _skip_reason() -> str | None:
    if os.environ.get("RH_BROWSER_TESTS") == "0":
        return "browser tests run in the PostgreSQL pass of make test (RH_BROWSER_TESTS=0 here)"
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        return (
            "Chromium is not installed (apt-get install chromium chromium-driver; make test "
            "installs it when run as root)"
        )
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    return None


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    reason = _skip_reason()
    if reason is None:
        return
    here = str(Path(__file__).parent)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield browser
        browser.close()
        # While Playwright's sync API runs, the main thread has a running event loop, so
        # Django's connections there are context-local: the ones the tests used are closed
        # here, or the test database cannot be dropped at the end ("1 other session").
        connections.close_all()


class Tab:
    """One person's browser tab, with the checks every screen must pass."""

    def __init__(self, page: Any, base: str) -> None:
        self.page, self.base = page, base
        self.console: list[str] = []
        self.checked: list[str] = []
        page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))

    def visit(self, path: str) -> Any:
        self.page.goto(self.base + path)
        return self.page

    def csp_violations(self) -> list[str]:
        events = self.page.evaluate("window.__cspViolations || []")
        logged = [m for m in self.console if "Content Security Policy" in m]
        return [*events, *logged]

    def check(self, name: str, *, shot: bool = False) -> dict[str, Any]:
        """axe-core on the current page: no serious/critical violation, no CSP violation."""
        self.page.wait_for_load_state("load")
        if not self.page.evaluate("typeof window.axe !== 'undefined'"):
            self.page.evaluate(AXE.read_text())
        result = self.page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
        )
        bad = [v for v in result["violations"] if v["impact"] in {"serious", "critical"}]
        if bad or self.csp_violations():
            self.page.screenshot(path=f"/tmp/console-failure-{name}.png", full_page=True)
        assert not bad, f"{name}: " + json.dumps(
            [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in bad], indent=1
        )
        assert not self.csp_violations(), f"{name}: {self.csp_violations()}"
        self.checked.append(name)
        if shot and os.environ.get("CONSOLE_SCREENSHOTS") == "1":
            SHOTS.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
        return result


@pytest.fixture
def tab(chromium: Any, live_server: Any, transactional_db: Any) -> Iterator[Any]:
    """`tab()` opens a new tab in a fresh context (another person, other cookies)."""
    opened: list[Tab] = []

    def open_tab() -> Tab:
        context = chromium.new_context(viewport={"width": 1200, "height": 900}, locale="en-GB")
        context.add_init_script(WATCH_CSP)
        context.set_default_timeout(10_000)
        made = Tab(context.new_page(), live_server.url)
        opened.append(made)
        return made

    yield open_tab
    for made in opened:
        leftover = [m for m in made.console if "Content Security Policy" in m]
        made.page.context.close()
        assert not leftover, leftover
