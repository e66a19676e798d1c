"""One SQL statement for a model and the related rows a hot path needs, built from the models.

The ORM compiles a `select_related` query on every call (about 1 ms of CPU for the six-table
referral lookup on the development VM, cProfile). `Joined` builds the same SELECT once per
connection, from the models' `_meta` (every concrete column, the join conditions from the
foreign keys), so a column added to a model is selected without anyone editing a list. Rows
become model instances through `Model.from_db` and the backend's own converters, wired together
as `select_related` leaves them (related objects cached: no further query on access).

The owning selector keeps the rules (scoping, the one 404): this module only fetches.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.db import connections, models
from django.db.models.base import ModelState
from django.db.models.fields.related import ForeignObjectRel
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init

Converter = Callable[[Any, Any, Any], Any]


@dataclass(frozen=True)
class _Table:
    """One table of the statement: its model, alias, columns, and how it hangs off its parent."""

    path: str
    model: type[models.Model]
    alias: str
    fields: tuple[Any, ...]  # concrete model fields, in `_meta` order
    parent: int = -1  # index of the parent table; -1 for the root
    link: Any = None  # the forward relation field, or the reverse one-to-one relation
    optional: bool = False  # LEFT JOIN: a nullable key or a reverse one-to-one on the way

    @cached_property
    def attnames(self) -> list[str]:
        return [f.attname for f in self.fields]

    @cached_property
    def pk_index(self) -> int:
        return next(i for i, f in enumerate(self.fields) if f.primary_key)

    @cached_property
    def plain(self) -> bool:
        """`from_db` would only set each column's attribute on a new instance: Django's own
        `__init__` and `from_db`, and every column a plain attribute (no setter of the model's
        own; a foreign key's only clears a cache a new instance does not have)."""
        model = self.model
        if model.__init__ is not models.Model.__init__ or (
            model.from_db.__func__ is not models.Model.from_db.__func__  # type: ignore[attr-defined]
        ):
            return False
        return all(
            type(inspect.getattr_static(model, name, None)) in _PLAIN for name in self.attnames
        )

    def direct(self) -> bool:
        """`instance` may skip `__init__`: `plain`, and no `pre_init` or `post_init` receiver
        now (asked once per statement's rows, not per instance)."""
        model = self.model
        return self.plain and not (pre_init.has_listeners(model) or post_init.has_listeners(model))

    def instance(self, values: list[Any], using: str, direct: bool) -> models.Model:
        """`model.from_db(using, attnames, values)`: the same instance, made without calling
        `__init__` when that would only set the attributes (`direct`): a list page makes
        hundreds, at a fifth of the cost."""
        model = self.model
        if not direct:
            return model.from_db(using, self.attnames, values)
        obj = model.__new__(model)
        obj._state = state = ModelState()
        state.adding, state.db = False, using
        obj.__dict__.update(zip(self.attnames, values, strict=True))
        return obj


_PLAIN = (DeferredAttribute, ForeignKeyDeferredAttribute)


@dataclass
class _Converters:
    """The backend's converters of a statement's columns: (index, converters, column) of
    each column that has any, and how many columns the models' own part of a row has."""

    found: list[tuple[int, list[Converter], Any]] = field(default_factory=list)
    width: int = 0


class Joined:
    """`Joined(Referral, "consent", "client", "client__data_key", where=("pk",))`.

    `where` names the fields compared for equality with the parameters, in order (`"pk"`,
    `"client"`, `"client__agency"`: a path, then a field of that path's model); `defer` leaves
    columns out as `QuerySet.defer` would; `lock` names paths locked FOR UPDATE (where the
    database supports `FOR UPDATE OF`; elsewhere the write transaction serialises), or
    FOR NO KEY UPDATE with `no_key=True` (as `select_for_update(no_key=True)`).
    """

    def __init__(
        self,
        root: type[models.Model],
        *paths: str,
        where: Sequence[str] = ("pk",),
        defer: Mapping[str, Sequence[str]] | None = None,
        lock: Sequence[str] = (),
        no_key: bool = False,
    ) -> None:
        self.root, self.paths, self.where = root, paths, tuple(where)
        self.defer, self.lock, self.no_key = dict(defer or {}), tuple(lock), no_key
        self._tables: list[_Table] | None = None
        self._heads: dict[str, tuple[str, str, _Converters]] = {}
        self._built: dict[str, tuple[str, list[Any]]] = {}

    def tables(self) -> list[_Table]:
        """The tables in join order, from the models' metadata (read once)."""
        if self._tables is None:
            tables = [_Table("", self.root, "t0", self._fields("", self.root))]
            for path in self.paths:
                parent_path, _, name = path.rpartition("__")
                parent = next(i for i, t in enumerate(tables) if t.path == parent_path)
                link = tables[parent].model._meta.get_field(name)
                model = link.related_model
                assert isinstance(model, type), f"Joined: {path} is not a relation"
                optional = tables[parent].optional or isinstance(link, ForeignObjectRel)
                fields = self._fields(path, model)
                alias = f"t{len(tables)}"
                optional = optional or bool(getattr(link, "null", False))
                tables.append(_Table(path, model, alias, fields, parent, link, optional))
            self._tables = tables
        return self._tables

    def _fields(self, path: str, model: type[models.Model]) -> tuple[Any, ...]:
        left_out = set(self.defer.get(path, ()))
        unknown = left_out - {f.name for f in model._meta.concrete_fields if not f.primary_key}
        assert not unknown, f"Joined({self.root.__name__}): cannot defer {sorted(unknown)}"
        return tuple(f for f in model._meta.concrete_fields if f.name not in left_out)

    def _table(self, path: str) -> _Table:
        return next(t for t in self.tables() if t.path == path)

    def sql(self, using: str = "default") -> str:
        """The statement for one connection's database (built on first use, then reused)."""
        return self._build(using)[0]

    def select(self, *extra: str, root: str = "", using: str = "default") -> str:
        """`SELECT <every column>[, <extra>...] FROM <the joined tables>` (aliases `t0`, `t1`,
        ... in path order), for a caller that writes its own conditions, order and limit and
        reads the rows with `fetch_all`. `root`: a statement standing in for the root table as
        `t0` (`SELECT t0.* FROM <its table> t0 ...`), e.g. one page of it, already ordered and
        limited, so that the other tables are joined to that page's rows only."""
        columns, joins, _converters = self._head(using)
        table = connections[using].ops.quote_name(self.root._meta.db_table)
        source = f"({root})" if root else table
        return f"SELECT {', '.join((columns, *extra))} FROM {source} t0 {joins}"  # noqa: S608 (identifiers from _meta, quoted; expressions the caller's)

    def _head(self, using: str) -> tuple[str, str, _Converters]:
        """(the columns, the joins after `t0`, the converters) of the statement on `using`."""
        if using in self._heads:
            return self._heads[using]
        connection = connections[using]
        q = connection.ops.quote_name
        tables = self.tables()
        columns: list[str] = []
        converters = _Converters()
        for t in tables:
            for f in t.fields:
                col = f.get_col(t.alias)
                found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
                if found:  # most columns come from the driver as they are (no loop over them)
                    converters.found.append((len(columns), found, col))
                columns.append(f"{t.alias}.{q(f.column)}")
        converters.width = len(columns)
        joins = []
        for t in tables[1:]:
            parent = tables[t.parent]
            link: Any = t.link
            if isinstance(link, ForeignObjectRel):  # reverse one-to-one: the child points back
                mine, theirs = str(link.field.column), str(_pk(parent.model).column)
            else:
                mine, theirs = str(link.target_field.column), str(link.column)
            join = "LEFT OUTER JOIN" if t.optional else "INNER JOIN"
            on = f"{t.alias}.{q(mine)} = {parent.alias}.{q(theirs)}"
            joins.append(f"{join} {q(t.model._meta.db_table)} {t.alias} ON {on}")
        self._heads[using] = (", ".join(columns), " ".join(joins), converters)
        return self._heads[using]

    def _build(self, using: str) -> tuple[str, list[Any]]:
        if using in self._built:
            return self._built[using]
        connection = connections[using]
        q = connection.ops.quote_name
        columns, joins, _converters = self._head(using)
        source = f"{q(self.root._meta.db_table)} t0 {joins}"
        tests, keys = [], []
        for name in self.where:
            path, _, field_name = name.rpartition("__")
            t = self._table(path)
            key: Any = _pk(t.model) if field_name == "pk" else t.model._meta.get_field(field_name)
            tests.append(f"{t.alias}.{q(key.column)} = %s")
            keys.append(key)
        sql = f"SELECT {columns} FROM {source} WHERE {' AND '.join(tests)}"  # noqa: S608 (identifiers from _meta, quoted; values are parameters)
        if self.lock and connection.features.has_select_for_update_of:
            strength = "NO KEY UPDATE" if self.no_key else "UPDATE"
            sql += f" FOR {strength} OF " + ", ".join(self._table(p).alias for p in self.lock)
        self._built[using] = (sql, keys)
        return self._built[using]

    def fetch(self, *params: Any, using: str = "default") -> Any:
        """The root instance with its related objects cached, or None when no row matches."""
        sql, keys = self._build(using)
        connection = connections[using]
        prepared = [f.get_db_prep_value(v, connection) for f, v in zip(keys, params, strict=True)]
        row = _run(connection, sql, prepared, many=False)
        return None if row is None else self._instance(row, (), using, self._direct())

    def fetch_all(
        self, sql: str, params: list[Any], *, extra: Sequence[str] = (), using: str = "default"
    ) -> list[Any]:
        """The root instances of every row of `sql` (a `select()` statement with its own
        conditions; `params` already as the database takes them), prepared on PostgreSQL like
        the lookups. Columns after the models' own are set on each root under the names in
        `extra`, as `QuerySet.annotate` sets them."""
        rows = _run(connections[using], sql, params, many=True)
        direct = self._direct()
        return [self._instance(row, extra, using, direct) for row in rows]

    def _direct(self) -> list[bool]:
        return [t.direct() for t in self.tables()]

    def _instance(
        self, row: Sequence[Any], extra: Sequence[str], using: str, direct: list[bool]
    ) -> models.Model:
        connection = connections[using]
        converters = self._head(using)[2]
        width = converters.width
        assert len(row) == width + len(extra), "Joined: a row of the statement select() built"
        values = list(row[:width])
        for i, convs, col in converters.found:
            value = values[i]
            for convert in convs:
                value = convert(value, col, connection)
            values[i] = value
        root = self._objects(values, using, direct)
        for name, value in zip(extra, row[width:], strict=True):
            setattr(root, name, value)
        return root

    def _objects(self, values: list[Any], using: str, direct: list[bool]) -> models.Model:
        objects: list[models.Model | None] = []
        start = 0
        for t, made_directly in zip(self.tables(), direct, strict=True):
            chunk, start = values[start : start + len(t.fields)], start + len(t.fields)
            parent = objects[t.parent] if t.parent >= 0 else None
            obj = None
            if chunk[t.pk_index] is not None and (t.parent < 0 or parent is not None):
                obj = t.instance(chunk, using, made_directly)
            objects.append(obj)
            if parent is not None:
                _cache(parent, obj, t.link)
        assert objects[0] is not None
        return objects[0]


def _statement(connection: Any, sql: str, params: list[Any]) -> tuple[str, Callable[[], None]]:
    """On PostgreSQL, a server-side prepared statement: the server plans the join once per
    connection (after five executions, a generic plan; planning the six-table referral lookup
    took 0.9-1.5 ms of the server's CPU per request against 0.1-0.2 ms executing it). Returns
    the SQL to run and what to call once it ran. The first use sends `PREPARE` and `EXECUTE` in
    one round trip, under a name never used before on the session (a failed first use is simply
    prepared again under the next name). Not with `DISABLE_SERVER_SIDE_CURSORS` (Django's
    setting for a transaction-pooling proxy, where a session's statements do not follow it)."""
    if connection.vendor != "postgresql" or connection.settings_dict.get(
        "DISABLE_SERVER_SIDE_CURSORS"
    ):
        return sql, _nothing
    connection.ensure_connection()  # the first statement of a fresh connection may be this one
    raw = connection.connection  # prepared statements live as long as this session
    state = connection.__dict__.get("_joined_prepared")
    if state is None or state[0] is not raw:
        state = connection.__dict__["_joined_prepared"] = (raw, {}, itertools.count())
    names: dict[str, str] = state[1]
    args = f"({', '.join(['%s'] * len(params))})" if params else ""
    if sql in names:
        return f"EXECUTE {names[sql]}{args}", _nothing
    name = f"rh_joined_{next(state[2])}"
    parts = sql.split("%s")
    text = parts[0] + "".join(f"${i}{part}" for i, part in enumerate(parts[1:], 1))
    return f"PREPARE {name} AS {text}; EXECUTE {name}{args}", lambda: names.update({sql: name})


def fetch_one(sql: str, params: list[Any], using: str = "default") -> tuple[Any, ...] | None:
    """One row of a fixed hand-written statement (e.g. the actor lookup of every
    authenticated request), prepared on the server like the pre-built lookups above."""
    return _run(connections[using], sql, params, many=False)  # type: ignore[no-any-return]


def _run(connection: Any, sql: str, params: list[Any], *, many: bool) -> Any:
    """Run `sql` as its prepared statement (`_statement`): every row, or the first (or None)."""
    statement, ran = _statement(connection, sql, params)
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        result = cursor.fetchall() if many else cursor.fetchone()
    ran()
    return result


def _nothing() -> None:
    return None


def statement_text(captured: str, using: str = "default") -> str:
    """The SELECT behind a captured `PREPARE`/`EXECUTE` of a Joined statement on connection
    `using` (for tests that read the SQL a request ran); other statements unchanged."""
    state = connections[using].__dict__.get("_joined_prepared")
    if not captured.startswith(("EXECUTE rh_joined_", "PREPARE rh_joined_")) or state is None:
        return captured
    name = captured.split()[1].split("(")[0]
    return next((sql for sql, known in state[1].items() if known == name), captured)


def _pk(model: type[models.Model]) -> Any:
    pk = model._meta.pk
    assert pk is not None, f"{model.__name__} has no primary key"
    return pk


def _cache(parent: models.Model, obj: models.Model | None, link: Any) -> None:
    """Cache `obj` on `parent` (and the back side of a one-to-one), as select_related does."""
    link.set_cached_value(parent, obj)
    if obj is None:
        return
    if isinstance(link, ForeignObjectRel):
        link.field.set_cached_value(obj, parent)
    elif link.one_to_one:
        link.remote_field.set_cached_value(obj, parent)
