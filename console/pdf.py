"""The consent receipt as a PDF (WeasyPrint): the same words as the page, one printable sheet."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.template.loader import render_to_string

CSS = Path(__file__).parent / "static" / "console" / "receipt.css"


def receipt_pdf(receipt: dict[str, Any]) -> bytes:
    """Render `console.receipt.consent_receipt(...)` to PDF bytes (no network, no file URLs
    other than the receipt's own stylesheet)."""
    from weasyprint import CSS as Stylesheet
    from weasyprint import HTML

    html = render_to_string("console/consents/receipt_pdf.html", {"receipt": receipt})
    document = HTML(string=html, url_fetcher=_no_fetch)
    return bytes(document.write_pdf(stylesheets=[Stylesheet(filename=str(CSS))]))


def _no_fetch(url: str, *args: Any, **kwargs: Any) -> Any:
    raise ValueError(f"the receipt PDF loads nothing: {url}")
