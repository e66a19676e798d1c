"""Every error code the code base can raise is in the partner guide's table, with its status.

Collected, not listed by hand: the `code` of every `ApplicationError` subclass, every
`code="..."` given to an error where it is raised, the refusal reasons that become a 409, the
codes `api/errors.py` maps DRF's exceptions and bare statuses to, and our parser's.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

from core.errors import ApplicationError

ROOT = Path(__file__).resolve().parents[2]
APPS = [
    "core", "accounts", "agencies", "audit", "crypto", "clients", "consent", "referrals",
    "reports", "webhooks", "api", "console", "referral_hub",
]  # fmt: skip
GUIDE = ROOT / "docs" / "partner-guide.md"
# DRF's exception classes, by the names they are raised under.
DRF_STATUS = {"NotAuthenticated": 401, "ParseError": 400, "Throttled": 429, "ValidationError": 400}
# Helpers that build an error with a `code=` argument (name -> status).
HELPERS = {"throttled": 429}
# Field-level codes live in `errors[]`, not in the problem's `code`.
FIELD_ONLY = {"unknown_field", "required"}
# Console-only refusals are rendered as pages, never as API problems.
CONSOLE = ROOT / "console"


def _sources() -> list[Path]:
    files = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts and "management" not in path.parts:
                files.append(path)
    return files


def _error_classes() -> dict[str, type[ApplicationError]]:
    for path in _sources():
        if path.is_relative_to(CONSOLE):
            continue
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        importlib.import_module(module.removesuffix(".__init__"))
    found: dict[str, type[ApplicationError]] = {}
    todo = [ApplicationError]
    while todo:
        cls = todo.pop()
        found[cls.__name__] = cls
        todo += cls.__subclasses__()
    return found


def _constant(node: ast.expr) -> str | None:
    """A literal code, or a shared code constant from core.errors (`code=INVALID_RECIPIENT`)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    name = getattr(node, "id", None) or getattr(node, "attr", None)
    from core import errors as core_errors

    value = getattr(core_errors, name, None) if name and name.isupper() else None
    return value if isinstance(value, str) else None


def raisable_codes() -> set[tuple[str, int]]:
    classes = _error_classes()
    status_of = {name: cls.status for name, cls in classes.items()} | DRF_STATUS | HELPERS
    codes = {(cls.code, cls.status) for cls in classes.values()}
    for path in _sources():
        if path.is_relative_to(CONSOLE):
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name == "program_refusal":
                for call in ast.walk(node):
                    if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "Reason":
                        codes.add((call.args[0].value, 409))  # type: ignore[attr-defined]
            if isinstance(node, ast.FunctionDef) and node.name in HELPERS:
                for default in node.args.defaults:
                    if isinstance(default, ast.Constant) and isinstance(default.value, str):
                        codes.add((default.value, HELPERS[node.name]))
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            for keyword in node.keywords:
                value = _constant(keyword.value)
                if (
                    keyword.arg == "code"
                    and name in status_of
                    and value
                    and value not in FIELD_ONLY
                ):
                    codes.add((value, status_of[name]))
    from api import errors, parsers

    for code in errors._DRF_CODES.values():
        codes.add((code, _DRF_DEFAULT_STATUS[code]))
    for status, (code, _title) in errors._STATUS_CODES.items():
        codes.add((code, status))
    codes.add(("internal_error", 500))
    codes.add((parsers.TooDeep.code, parsers.TooDeep.status))
    return codes


_DRF_DEFAULT_STATUS = {
    "validation_error": 400,
    "malformed_request": 400,
    "not_authenticated": 401,
    "authentication_failed": 401,
    "permission_denied": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "not_acceptable": 406,
    "unsupported_media_type": 415,
    "too_many_requests": 429,
}


def documented_codes() -> set[tuple[str, int]]:
    text = GUIDE.read_text()
    table = text[text.index("<!-- BEGIN error codes -->") : text.index("<!-- END error codes -->")]
    found = set()
    for line in table.splitlines():
        match = re.match(r"\|\s*(\d{3})\s*\|([^|]*)\|", line)
        if match:
            for code in re.findall(r"`([a-z0-9_]+)`", match.group(2)):
                found.add((code, int(match.group(1))))
    return found


@pytest.mark.django_db
def test_every_raisable_code_is_in_the_guide_with_its_status():
    raisable, documented = raisable_codes(), documented_codes()
    missing = sorted(raisable - documented)
    assert not missing, (
        f"codes the code base raises that docs/partner-guide.md's error table lacks "
        f"(code, status): {missing}"
    )


@pytest.mark.django_db
def test_the_guide_lists_no_code_nothing_raises():
    raisable = {c for c, _ in raisable_codes()}
    stale = sorted(c for c, _ in documented_codes() if c not in raisable)
    assert not stale, f"the guide's error table names codes nothing raises: {stale}"


@pytest.mark.django_db
def test_a_code_means_one_status():
    by_code: dict[str, set[int]] = {}
    for code, status in raisable_codes():
        by_code.setdefault(code, set()).add(status)
    assert {c: s for c, s in by_code.items() if len(s) > 1} == {}
