"""Server-rendered SVG charts: geometry computed here, drawn by a template (no script, no
inline style; presentation attributes and static CSS classes only). Each chart comes with the
same numbers as a table for people who cannot see it."""

from __future__ import annotations

import datetime
from typing import Any

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 720, 260, 48, 40, 12
OUTCOMES = ("allow", "deny", "error")


def _scale(top: int) -> int:
    return max(top, 1)


def events_chart(
    days: dict[datetime.date, dict[str, int]], since: datetime.date, until: datetime.date
) -> dict[str, Any]:
    """Stacked bars per day (allow, deny, error) from `audit.stats.events_per_day`."""
    span = [since + datetime.timedelta(days=i) for i in range((until - since).days)]
    peak = _scale(max((sum(days.get(d, {}).values()) for d in span), default=0))
    plot_h, slot = HEIGHT - BOTTOM - TOP, (WIDTH - LEFT) / max(len(span), 1)
    bars, labels = [], []
    for i, day in enumerate(span):
        y: float = HEIGHT - BOTTOM
        for outcome in OUTCOMES:
            n = days.get(day, {}).get(outcome, 0)
            h = plot_h * n / peak
            if n:
                bars.append(
                    {
                        "x": round(LEFT + i * slot + slot * 0.15, 1),
                        "y": round(y - h, 1),
                        "w": round(slot * 0.7, 1),
                        "h": round(h, 1),
                        "cls": outcome,
                        "title": f"{day:%-d %b}: {n} {outcome}",
                    }
                )
            y -= h
        if len(span) <= 14 or i % max(len(span) // 10, 1) == 0:
            labels.append({"x": round(LEFT + i * slot + slot / 2, 1), "text": f"{day:%-d %b}"})
    rows = [{"day": d, **{o: days.get(d, {}).get(o, 0) for o in OUTCOMES}} for d in span]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "bars": bars,
        "labels": labels,
        "peak": peak,
        "axis_y": HEIGHT - BOTTOM,
        "left": LEFT,
        "top": TOP,
        "rows": rows,
        "label_y": HEIGHT - BOTTOM + 18,
    }


def recipients_chart(counts: dict[Any, int], names: dict[Any, str]) -> dict[str, Any]:
    """Horizontal bars: disclosures per recipient (`audit.stats.disclosures_per_recipient`)."""
    peak = _scale(max(counts.values(), default=0))
    name_w, bar_h, gap = 220, 24, 12
    bars = [
        {
            "y": i * (bar_h + gap) + TOP,
            "w": round((WIDTH - name_w - 60) * n / peak, 1),
            "n": n,
            "name": names.get(agency, "Unknown agency"),
            "text_y": i * (bar_h + gap) + TOP + 17,
        }
        for i, (agency, n) in enumerate(counts.items())
    ]
    height = max(len(bars), 1) * (bar_h + gap) + TOP * 2
    return {
        "width": WIDTH,
        "height": height,
        "bars": bars,
        "name_w": name_w,
        "bar_h": bar_h,
        "rows": bars,
    }
