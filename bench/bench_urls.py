"""URLconf used only by bench modules (never by the application)."""

from __future__ import annotations

from typing import Any

urlpatterns: list[Any] = []
