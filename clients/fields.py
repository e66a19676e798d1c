"""The encrypted fields of a client: one column per (category, field), stored as envelopes."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from clients.categories import FIELDS_BY_CATEGORY

TABLE = "clients_client"


@dataclass(frozen=True)
class FieldSpec:
    category: str
    name: str
    kind: str = "text"  # "text" | "date" | "int"

    @property
    def column(self) -> str:
        return f"{self.category}_{self.name}"

    def to_text(self, value: Any) -> str | None:
        if value is None or value == "":
            return None
        if self.kind == "date":
            return value.isoformat() if isinstance(value, datetime.date) else str(value)
        return str(value)

    def from_text(self, text: str | None) -> Any:
        if text is None or self.kind == "text":
            return text
        return int(text) if self.kind == "int" else text  # dates are rendered as ISO strings


_KINDS = {"date_of_birth": "date", "household_size": "int"}

SPECS: tuple[FieldSpec, ...] = tuple(
    FieldSpec(category, name, _KINDS.get(name, "text"))
    for category, names in FIELDS_BY_CATEGORY.items()
    for name in names
)
SPECS_BY_CATEGORY: dict[str, tuple[FieldSpec, ...]] = {
    category: tuple(s for s in SPECS if s.category == category) for category in FIELDS_BY_CATEGORY
}
COLUMNS: tuple[str, ...] = tuple(s.column for s in SPECS)
