"""docs/threat-model.md names the tests that prove each control: every one must exist."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "threat-model.md"


def _tests_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test")
    }


def test_every_test_named_in_the_threat_model_exists():
    text = DOC.read_text()
    refs = set(re.findall(r"(tests/[\w/]+\.py)::(\w+)", text))
    assert len(refs) >= 60, "the threat model should cite its evidence"
    missing = []
    for file, name in sorted(refs):
        path = ROOT / file
        if not path.exists() or name not in _tests_in(path):
            missing.append(f"{file}::{name}")
    assert not missing, f"docs/threat-model.md cites tests that do not exist: {missing}"


def test_every_owasp_api_top_10_item_has_a_row():
    text = DOC.read_text()
    for n in range(1, 11):
        assert re.search(rf"^\| API{n} \|", text, re.MULTILINE), f"API{n} missing"


def _names_in(path: Path) -> set[str]:
    """Top-level functions, classes and assignments of a module."""
    names: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def test_every_code_reference_in_the_design_docs_exists():
    """`path.py::name` in the threat model and the architecture map must name real code."""
    missing = []
    for doc in (DOC, ROOT / "docs" / "architecture.md"):
        text = doc.read_text()
        for file, name in sorted(set(re.findall(r"`((?!tests/)[\w/]+\.py)::(\w+)", text))):
            path = ROOT / file
            if not path.exists() or name not in _names_in(path):
                missing.append(f"{doc.name}: {file}::{name}")
    assert not missing, f"docs name code that does not exist: {missing}"
