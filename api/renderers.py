"""CSV for reports: one line per figure (`section,key,label,count`), hidden cells as `<11`."""

from __future__ import annotations

import csv
import io
from typing import Any

from rest_framework.renderers import BaseRenderer, JSONRenderer

SECTIONS = ("by_status", "by_service_type", "by_partner_agency", "by_month")
FIGURES = ("median_hours_to_accept", "median_hours_to_close", "closed_loop_rate")


def report_csv(report: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "key", "label", "count"])
    total = report["total"]
    writer.writerow(["total", "total", total["label"], total["display"]])
    for section in SECTIONS:
        for cell in report[section]:
            writer.writerow([section, cell["key"], cell["label"], cell["display"]])
    for name in FIGURES:
        writer.writerow(["figure", name, "", report[name]["display"]])
    return out.getvalue()


class ReportCsvRenderer(BaseRenderer):
    """`?format=csv` or `Accept: text/csv`. Errors still render as problem+json."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        if not isinstance(data, dict) or "by_status" not in data:
            return JSONRenderer().render(data)
        return report_csv(data).encode("utf-8")
