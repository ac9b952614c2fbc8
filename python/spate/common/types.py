"""PyFlink's ``Row`` and ``RowKind``."""

from __future__ import annotations

from enum import Enum
from typing import Any, Dict, List, Optional


class RowKind(Enum):
    """A changelog row's kind, with Flink's short strings."""

    INSERT = 0
    UPDATE_BEFORE = 1
    UPDATE_AFTER = 2
    DELETE = 3

    def __str__(self) -> str:
        return {0: "+I", 1: "-U", 2: "+U", 3: "-D"}[self.value]

    @staticmethod
    def of_short_string(text: str) -> "RowKind":
        return {"+I": RowKind.INSERT, "-U": RowKind.UPDATE_BEFORE, "+U": RowKind.UPDATE_AFTER,
                "-D": RowKind.DELETE}[text]


class Row(tuple):
    """A row of values, by position or (when named) by field name; carries its RowKind.

    ``Row(1, "a")``, ``Row(id=1, name="a")``; a row equals another with the same kind and
    values."""

    _fields: Optional[List[str]]
    _row_kind: RowKind

    def __new__(cls, *args: Any, **kwargs: Any) -> "Row":
        if args and kwargs:
            raise ValueError("a Row takes values by position or by name, not both")
        if kwargs:
            row = tuple.__new__(cls, kwargs.values())
            row._fields = list(kwargs.keys())
        else:
            row = tuple.__new__(cls, args)
            row._fields = None
        row._row_kind = RowKind.INSERT
        return row

    def as_dict(self, recursive: bool = False) -> Dict[str, Any]:
        if self._fields is None:
            raise TypeError("a Row without field names cannot be a dict")
        out = dict(zip(self._fields, self))
        if recursive:
            out = {k: v.as_dict(True) if isinstance(v, Row) else v for k, v in out.items()}
        return out

    def get_row_kind(self) -> RowKind:
        return self._row_kind

    def set_row_kind(self, kind: RowKind) -> None:
        self._row_kind = kind

    def get_fields_by_names(self, names: List[str]) -> List[Any]:
        return [self[self._index(n)] for n in names]

    def _index(self, name: str) -> int:
        if self._fields is None or name not in self._fields:
            raise KeyError(name)
        return self._fields.index(name)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self[self._index(name)]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, item: Any) -> Any:
        if isinstance(item, str):
            return tuple.__getitem__(self, self._index(item))
        return tuple.__getitem__(self, item)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Row) and other._row_kind != self._row_kind:
            return False
        return tuple.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return tuple.__hash__(self)

    def __reduce__(self) -> Any:
        return (_make_row, (tuple(self), self._fields, self._row_kind.value))

    def __repr__(self) -> str:
        if self._fields is None:
            return "Row(" + ", ".join(map(repr, self)) + ")"
        return "Row(" + ", ".join(f"{k}={v!r}" for k, v in zip(self._fields, self)) + ")"

    def __str__(self) -> str:
        return f"{self._row_kind}[" + ", ".join("NULL" if v is None else str(v) for v in self) + "]"


def _make_row(values: tuple, fields: Optional[List[str]], kind: int) -> Row:
    row = Row(**dict(zip(fields, values))) if fields else Row(*values)
    row.set_row_kind(RowKind(kind))
    return row
