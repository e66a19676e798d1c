"""The layering runs one way, and each rule has one home (docs/architecture.md, DESIGN §3).

Read from the source with `ast` (no import side effects): every `import`, every
`apps.get_model("app", ...)` / `import_module("app...")` string and every lazy model reference
(`ForeignKey("app.Model")`) of a module in app A may name only A itself or an app in a lower
layer. Where a lower app must reach up, the higher app registers itself instead
(`crypto/registry.py`, `clients/recipients.py`, `webhooks/jobs.py`, `accounts/notify.py`).
"""

from __future__ import annotations

import ast
import statistics
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Lowest first. An app may import its own layer's apps only in the top layer.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("core",),
    ("audit",),
    ("agencies",),
    ("crypto",),
    ("accounts",),
    ("webhooks",),
    ("clients",),
    ("consent",),
    ("referrals",),
    ("reports",),
    ("api", "console", "referral_hub"),
)
RANK = {app: rank for rank, layer in enumerate(LAYERS) for app in layer}
TOP = len(LAYERS) - 1

# Schema references a lower app keeps by design (a lazy FK string, never an import): each
# client's data key row points at its client; erasure destroys the key, not the client row.
FK_EXCEPTIONS = {("crypto/models.py", "clients.Client")}

# Modules that may query `Client` directly: the one scoping selector, and system jobs.
CLIENT_QUERY_HOMES = {
    "clients/selectors.py",  # the one scoping point (client_qs_for, client_get_for, client_locked)
    "referral_hub/demo.py",  # system job: demo seeding checks whether Eastside has clients yet
}
CLIENT_MANAGERS = ("Client.objects", "Client._default_manager", "Client._base_manager")


def app_modules() -> Iterator[tuple[str, Path]]:
    for app in RANK:
        for path in sorted((ROOT / app).rglob("*.py")):
            yield app, path


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _string_args(call: ast.Call) -> list[str]:
    return [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]


def references(tree: ast.AST) -> Iterator[tuple[int, str, str]]:
    """(line, kind, top-level app named) for every import and dynamic reach in a module."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, "import", alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, "import", node.module.split(".")[0]
        elif isinstance(node, ast.Call):
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            strings = _string_args(node)
            if name in {"get_model", "import_module", "import_string"} and strings:
                yield node.lineno, name, strings[0].split(".")[0].split(":")[0]
            elif name in {"ForeignKey", "OneToOneField", "ManyToManyField"} and "." in "".join(
                strings[:1]
            ):
                yield node.lineno, f"fk:{strings[0]}", strings[0].split(".")[0]


def test_the_layer_table_names_every_app_package():
    packages = {p.parent.name for p in ROOT.glob("*/apps.py")}
    assert packages <= set(RANK), f"add {sorted(packages - set(RANK))} to LAYERS"


def test_no_lower_app_reaches_a_higher_one():
    wrong = []
    for app, path in app_modules():
        for line, kind, target in references(ast.parse(path.read_text())):
            if target not in RANK or target == app:
                continue
            if (_rel(path), kind.removeprefix("fk:")) in FK_EXCEPTIONS:
                continue
            same_top = RANK[app] == RANK[target] == TOP
            if RANK[target] >= RANK[app] and not same_top:
                wrong.append(f"{_rel(path)}:{line} ({app}) {kind} -> {target}")
    assert not wrong, "a lower app reaches up; register the higher app instead:\n" + "\n".join(
        wrong
    )


def test_the_checker_sees_imports_inside_functions_and_dynamic_reaches():
    source = (
        "def f():\n"
        "    from referrals.models import Referral\n"
        "    apps.get_model('referrals', 'Referral')\n"
        "    importlib.import_module('referrals.services')\n"
        "x = models.ForeignKey('referrals.Referral', on_delete=None)\n"
    )
    found = {(kind, target) for _, kind, target in references(ast.parse(source))}
    assert found == {
        ("import", "referrals"),
        ("get_model", "referrals"),
        ("import_module", "referrals"),
        ("fk:referrals.Referral", "referrals"),
    }


def test_no_client_query_outside_the_scoping_selector_but_system_jobs():
    found = [
        f"{_rel(path)}:{number}"
        for _, path in app_modules()
        if _rel(path) not in CLIENT_QUERY_HOMES
        for number, text in enumerate(path.read_text().splitlines(), 1)
        if any(manager in text for manager in CLIENT_MANAGERS)
        or ("get_model" in text and "Client" in text)
    ]
    assert not found, "query clients through clients/selectors.py:\n" + "\n".join(found)


def test_the_documented_layering_is_this_one():
    doc = (ROOT / "docs" / "architecture.md").read_text()
    order = " < ".join("/".join(layer) for layer in LAYERS)
    assert order in doc, f"docs/architecture.md must state the layering: {order}"


# The project URLconf mounts the schema views of drf-spectacular (the contract issue may move
# these routes into api/urls.py; then drop the exception).
DRF_EXCEPTIONS = {"referral_hub/urls.py"}


def test_only_api_imports_drf():
    drf = {"rest_framework", "drf_spectacular"}
    wrong = [
        f"{_rel(path)}:{line}"
        for app, path in app_modules()
        if app != "api" and _rel(path) not in DRF_EXCEPTIONS
        for line, kind, target in references(ast.parse(path.read_text()))
        if kind == "import" and target in drf
    ]
    assert not wrong, wrong


def _function_lengths() -> list[int]:
    lengths = []
    for _, path in app_modules():
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lengths.append((node.end_lineno or node.lineno) - node.lineno + 1)
    return lengths


def test_modules_stay_small_and_functions_short():
    big = [
        f"{_rel(p)}: {n} lines"
        for _, p in app_modules()
        if "migrations" not in p.parts and (n := len(p.read_text().splitlines())) > 400
    ]
    assert not big, f"split these by sub-domain (STYLE.md §9): {big}"
    assert statistics.median(_function_lengths()) < 10
