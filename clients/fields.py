"""Client fields by category. Each category is one encrypted column: a sealed JSON object.

The category is the unit of consent and disclosure, so it is the unit of encryption too: one
AES-GCM envelope per category (bound to table, column = category, row and agency) instead of
one per field, which keeps rows and reads small (see docs/performance.md, Encryption).
"""

from __future__ import annotations

import datetime
import json
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
    def qualified(self) -> str:
        """Unambiguous flat name, e.g. `immigration_notes` (fixtures and scripts)."""
        return f"{self.category}_{self.name}"

    def stored(self, value: Any) -> Any:
        """The JSON value kept inside the envelope (None or "" means "not recorded")."""
        if value is None or value == "":
            return None
        if self.kind == "date":
            return value.isoformat() if isinstance(value, datetime.date) else str(value)
        return int(value) if self.kind == "int" else str(value)


_KINDS = {"date_of_birth": "date", "household_size": "int"}

SPECS: tuple[FieldSpec, ...] = tuple(
    FieldSpec(category, name, _KINDS.get(name, "text"))
    for category, names in FIELDS_BY_CATEGORY.items()
    for name in names
)
SPECS_BY_CATEGORY: dict[str, tuple[FieldSpec, ...]] = {
    category: tuple(s for s in SPECS if s.category == category) for category in FIELDS_BY_CATEGORY
}


def column_of(category: str) -> str:
    """The model attribute holding a category's envelope."""
    return f"{category}_sealed"


COLUMNS: tuple[str, ...] = tuple(column_of(c) for c in FIELDS_BY_CATEGORY)


def encode(values: dict[str, Any]) -> str | None:
    """Canonical JSON of the recorded values (None when nothing is recorded)."""
    kept = {k: v for k, v in values.items() if v is not None}
    return json.dumps(kept, sort_keys=True, separators=(",", ":")) if kept else None


def decode(category: str, text: str | None) -> dict[str, Any]:
    """Every field of the category, None where not recorded."""
    stored = json.loads(text) if text else {}
    return {spec.name: stored.get(spec.name) for spec in SPECS_BY_CATEGORY[category]}
