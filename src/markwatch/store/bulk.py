"""Bulk INSERT of plain rows: one executemany on the DBAPI cursor of the session's connection.

SQLAlchemy's Core ``insert()`` with a list of dicts builds and processes every row's parameters in
generic code (defaults, key lookups, one bind processor call per column); at gazette scale that
costs more than SQLite storing the rows. ``BulkInsert`` compiles the statement once for the
connection's dialect (SQLite's ``?`` or psycopg's ``%(name)s``, with the dialect's casts), takes the
same bind processors from the column types (so the database receives exactly the values SQLAlchemy
would send: dates as SQLite text, JSON serialised by the engine's serializer, psycopg's ``Json``
wrapper on PostgreSQL), and applies them only to the columns that have one. Callers give rows as
tuples in ``columns`` order and may hand in values they processed themselves (``process``), once per
distinct value. The same code runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Connection, Dialect


class BulkInsert:
    def __init__(self, table: Table, columns: Sequence[str], dialect: Dialect):
        self.columns = tuple(columns)
        compiled = table.insert().compile(dialect=dialect, column_keys=list(self.columns))
        self.sql = str(compiled)
        self.positional = bool(compiled.positional)
        order = list(compiled.positiontup or ()) if self.positional else list(self.columns)
        if sorted(order) != sorted(self.columns):
            raise ValueError(f"unexpected parameters {order} for the columns {self.columns}")
        self._order = [self.columns.index(name) for name in order]
        self._names = order
        procs: list[Callable[[Any], Any] | None] = []
        for name in self.columns:
            typ = table.c[name].type
            procs.append(typ.dialect_impl(dialect).bind_processor(dialect))
        self._procs = procs
        # the processed None of each column: a JSON column stores the JSON null, others SQL NULL
        self._none = [p(None) if p is not None else None for p in procs]
        self._with_proc = [i for i, p in enumerate(procs) if p is not None]

    def process(self, column: str, value: Any) -> Any:
        """`value` as the database receives it for `column` (what a caller may keep and reuse)."""
        i = self.columns.index(column)
        proc = self._procs[i]
        return proc(value) if proc is not None else value

    def processor(self, column: str) -> Callable[[Any], Any] | None:
        return self._procs[self.columns.index(column)]

    def execute(self, conn: Connection, rows: Sequence[Sequence[Any]], *, done: Sequence[str] = ()) -> None:
        """Insert `rows` (tuples in `columns` order). The columns named in `done` already hold processed
        values (from `process`); the others go through their bind processor here."""
        if not rows:
            return
        skip = {self.columns.index(c) for c in done}
        work = [(i, self._procs[i], self._none[i]) for i in self._with_proc if i not in skip]
        order, names = self._order, self._names
        identity = order == list(range(len(order)))
        if not work and identity and self.positional:  # the rows are the parameters as they are
            conn.exec_driver_sql(self.sql, rows if isinstance(rows, list) else list(rows))
            return
        params: list[Any] = []
        append = params.append
        for row in rows:
            values = list(row)
            for i, proc, none in work:
                v = values[i]
                values[i] = none if v is None else proc(v)  # type: ignore[misc]
            if self.positional:
                append(tuple(values) if identity else tuple(values[i] for i in order))
            else:
                append(dict(zip(names, (values[i] for i in order))))
        conn.exec_driver_sql(self.sql, params)
