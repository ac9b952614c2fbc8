"""PyFlink's ``Table``: a query built by method calls. Each call wraps the query so far in
Flink SQL, which spate's SQL planner runs; ``execute`` and ``execute_insert`` start the
job."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Union

from spate.table.expression_parser import parse_expression_list
from spate.table.expressions import Expression, RenderContext, col, quote
from spate.table.window import GroupWindow

if TYPE_CHECKING:
    from spate.table.table_environment import TableEnvironment
    from spate.table.table_result import TableResult

_aliases = itertools.count()


def _exprs(fields: tuple) -> List[Expression]:
    """Expressions, or strings in the Table API's text syntax (expression_parser.py)."""
    out: List[Expression] = []
    for f in fields:
        if isinstance(f, Expression):
            out.append(f)
        elif isinstance(f, str):
            out.extend(parse_expression_list(f))
        else:
            raise TypeError(f"expected Table API expressions, got {type(f).__name__}")
    return out


class Table:
    """A query. ``t_env.from_path('orders').where(col('amount') > 10).select(col('id'))``."""

    def __init__(self, t_env: "TableEnvironment", sql: str) -> None:
        self._t_env = t_env
        self._sql = sql

    def _ctx(self, windows: Optional[Dict[str, GroupWindow]] = None) -> RenderContext:
        return RenderContext(self._t_env._function_name, windows)

    def _from(self) -> str:
        return f"({self._sql}) AS {quote('_t' + str(next(_aliases)))}"

    def _derive(self, sql: str) -> "Table":
        return Table(self._t_env, sql)

    def get_sql(self) -> str:
        """The Flink SQL this table stands for."""
        return self._sql

    def select(self, *fields: Union[Expression, str]) -> "Table":
        c = self._ctx()
        cols = ", ".join(e.render(c) for e in _exprs(fields))
        return self._derive(f"SELECT {cols} FROM {self._from()}")

    def add_columns(self, *fields: Expression) -> "Table":
        c = self._ctx()
        cols = ", ".join(e.render(c) for e in _exprs(fields))
        return self._derive(f"SELECT *, {cols} FROM {self._from()}")

    def where(self, predicate: Union[Expression, str]) -> "Table":
        (p,) = _exprs((predicate,))
        return self._derive(f"SELECT * FROM {self._from()} WHERE {p.render(self._ctx())}")

    filter = where

    def distinct(self) -> "Table":
        return self._derive(f"SELECT DISTINCT * FROM {self._from()}")

    def group_by(self, *fields: Union[Expression, str]) -> "GroupedTable":
        return GroupedTable(self, _exprs(fields))

    def window(self, window: GroupWindow) -> "GroupWindowedTable":
        return GroupWindowedTable(self, window)

    def join(self, right: "Table", join_predicate: Optional[Expression] = None) -> "Table":
        return self._join("JOIN", right, join_predicate)

    def left_outer_join(self, right: "Table",
                        join_predicate: Optional[Expression] = None) -> "Table":
        return self._join("LEFT JOIN", right, join_predicate)

    def right_outer_join(self, right: "Table", join_predicate: Expression) -> "Table":
        return self._join("RIGHT JOIN", right, join_predicate)

    def full_outer_join(self, right: "Table", join_predicate: Expression) -> "Table":
        return self._join("FULL JOIN", right, join_predicate)

    def _join(self, how: str, right: "Table", on: Optional[Expression]) -> "Table":
        if right._t_env is not self._t_env:
            raise ValueError("only tables of the same TableEnvironment can be joined")
        cond = on.render(self._ctx()) if on is not None else "TRUE"
        return self._derive(f"SELECT * FROM {self._from()} {how} {right._from()} ON {cond}")

    def union_all(self, right: "Table") -> "Table":
        return self._derive(f"SELECT * FROM {self._from()} UNION ALL "
                            f"SELECT * FROM {right._from()}")

    def execute(self) -> "TableResult":
        """Runs the query as a job; its rows come through ``collect()`` or ``print()``."""
        return self._t_env.execute_sql(self._sql)

    def execute_insert(self, table_path: str, overwrite: bool = False) -> "TableResult":
        if overwrite:
            raise ValueError("not supported yet: INSERT OVERWRITE")
        return self._t_env.execute_sql(f"INSERT INTO {table_path} {self._sql}")

    def explain(self) -> str:
        result = self._t_env.execute_sql(f"EXPLAIN {self._sql}")
        return "\n".join(row[0] for row in result._handle.table_rows())

    def __str__(self) -> str:
        return self._sql


class GroupedTable:
    def __init__(self, table: Table, keys: List[Expression]) -> None:
        self._table = table
        self._keys = keys

    def select(self, *fields: Union[Expression, str]) -> Table:
        c = self._table._ctx()
        cols = ", ".join(e.render(c) for e in _exprs(fields))
        keys = ", ".join(k.render(c) for k in self._keys)
        return self._table._derive(f"SELECT {cols} FROM {self._table._from()} GROUP BY {keys}")


class GroupWindowedTable:
    def __init__(self, table: Table, window: GroupWindow) -> None:
        self._table = table
        self._window = window

    def group_by(self, *fields: Union[Expression, str]) -> "WindowGroupedTable":
        return WindowGroupedTable(self._table, self._window, _exprs(fields))


class WindowGroupedTable:
    def __init__(self, table: Table, window: GroupWindow, keys: List[Expression]) -> None:
        self._table = table
        self._window = window
        self._keys = keys
        alias = window.get_alias()
        if not any(k._name == alias for k in keys):
            raise ValueError(f"group_by of a window must name the window ('{alias}')")

    def select(self, *fields: Union[Expression, str]) -> Table:
        windows = {self._window.get_alias(): self._window}
        c = self._table._ctx(windows)
        self._window._ctx = c
        cols = ", ".join(e.render(c) for e in _exprs(fields))
        keys = ", ".join(k.render(c) for k in self._keys)
        return self._table._derive(f"SELECT {cols} FROM {self._table._from()} GROUP BY {keys}")


__all__ = ["GroupWindowedTable", "GroupedTable", "Table", "WindowGroupedTable", "col"]
