"""The authenticator app's QR code, drawn as SVG on the server (`qrcode`, no images, no script).

The SVG goes inline in the page: no `style` attribute and no script, so the strict CSP holds;
`role="img"` and a label name it for screen readers. The page is `no-store` like every other.
"""

from __future__ import annotations

import qrcode
import qrcode.image.svg
from django.utils.safestring import SafeString, mark_safe

LABEL = "QR code for your authenticator app"


def qr_svg(uri: str) -> SafeString:
    """The otpauth URI as an inline SVG element (the path is drawn by `qrcode` from the URI
    alone, so nothing from the request can reach the markup)."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    svg = image.to_string(encoding="unicode")
    svg = svg.replace(
        "<svg ", f'<svg role="img" aria-label="{LABEL}" class="rh-qr" focusable="false" ', 1
    )
    return mark_safe(svg)  # noqa: S308 - generated markup, no caller text in it
