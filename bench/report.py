"""The summary table of docs/performance.md, rebuilt from the rows of a full `make bench` run.

Each row is judged against its target when the target reads `>= N` or `<= N`: against the
value when the unit follows the number (`>= 200,000 events/s`), otherwise against the ratio
(`>= 0.50`, `>= 0.50 at 16 writers`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- summary:begin -->", "<!-- summary:end -->"
_TARGET = re.compile(r"^\s*(>=|<=|≥|≤)\s*([0-9][0-9,]*\.?[0-9]*)\s*(.*)$")


def verdict(row: dict[str, Any]) -> str:
    """`met`, `**missed**`, or "" when there is no target this can read."""
    match = _TARGET.match(row.get("target") or "")
    if not match:
        return ""
    op, number, rest = match.groups()
    limit = float(number.replace(",", ""))
    unit = str(row.get("unit") or "")
    on_value = (unit and rest.startswith(unit)) or row.get("ratio") is None
    measured = float(row["value"] if on_value else row["ratio"])
    ok = measured >= limit if op in (">=", "≥") else measured <= limit
    return "met" if ok else "**missed**"


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"


def table(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| section | figure | value | baseline | ratio | target | |",
        "|---|---|---:|---|---:|---|---|",
    ]
    for r in rows:
        ratio = f"{r['ratio']:.2f}" if r.get("ratio") is not None else ""
        cells = [
            r["section"],
            r["name"],
            f"{_number(r['value'])} {r['unit']}",
            r.get("baseline") or "",
            ratio,
            r.get("target") or "",
            verdict(r),
        ]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return lines


def update_doc(rows: list[dict[str, Any]], stamp: str) -> None:
    """Replace the summary block of docs/performance.md (left alone if the markers are gone)."""
    text = DOC.read_text() if DOC.exists() else ""
    if BEGIN not in text or END not in text:
        print(f"{DOC.name}: no {BEGIN} block, summary not written")
        return
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    body = [stamp, "", *table(rows)]
    DOC.write_text(head + BEGIN + "\n" + "\n".join(body) + "\n" + END + tail)
    print(f"wrote the summary table of {DOC.relative_to(ROOT)}")
