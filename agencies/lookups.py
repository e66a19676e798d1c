"""`languages__has_element="es"`: a JSON list holds this string (PostgreSQL and SQLite)."""

from __future__ import annotations

import json
from typing import Any

from django.db.models import Lookup


class HasElement(Lookup):  # type: ignore[type-arg]
    """True when the JSON array on the left holds the (plain string) value on the right."""

    lookup_name = "has_element"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        """SQLite's JSON1 `json_each` (the generic form)."""
        lhs, params = self.process_lhs(compiler, connection)
        sql = f"EXISTS (SELECT 1 FROM json_each({lhs}) AS e WHERE e.value = %s)"  # noqa: S608 (lhs is the column)
        return sql, (*params, str(self.rhs))

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        """jsonb containment (`@>`), which a GIN index on the column can serve."""
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} @> %s::jsonb", (*params, json.dumps([str(self.rhs)]))
