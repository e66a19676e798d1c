"""`assert_no_values_in_audit(values)`: no survivor value may appear in any audit row.

Scans every column of every audit event (and checkpoint), including the exact canonical bytes,
case-insensitively. Use it after driving the API with canary values (names, notes, reasons...).
"""

from __future__ import annotations

import json
from typing import Any

from audit.models import Archive, AuditEvent, Checkpoint


def _text(value: Any) -> str:
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def audit_rows_text() -> list[tuple[str, str]]:
    """(row label, every column as text) for every audit row."""
    rows = []
    for model in (AuditEvent, Checkpoint, Archive):
        names = [f.attname for f in model._meta.concrete_fields]
        for values in model.objects.values_list(*names).iterator():
            label = f"{model._meta.label}#{values[0]}"
            rows.append((label, "\x1f".join(_text(v) for v in values)))
    return rows


def assert_no_values_in_audit(values: list[str]) -> None:
    """Fail naming the row (never echoing the whole row) if any value appears in audit data."""
    needles = [v.casefold() for v in values if v and v.strip()]
    assert needles, "give at least one non-empty canary value"
    # canonical bytes are ASCII JSON: "Ü" is stored as "\u00dc", so look for that form too
    forms = {form for n in needles for form in (n, json.dumps(n)[1:-1].casefold())}
    for label, text in audit_rows_text():
        folded = text.casefold()
        if any(form in folded for form in forms):
            raise AssertionError(f"a canary value leaked into audit row {label}")
