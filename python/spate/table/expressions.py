"""Table API expressions (PyFlink's ``pyflink.table.expressions``): ``col``, ``lit``,
operators and methods, rendered to Flink SQL, which spate's SQL planner runs."""

from __future__ import annotations

import datetime
import decimal
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Union

from spate.table.types import DataType, type_sql

if TYPE_CHECKING:
    from spate.table.udf import UserDefinedScalarFunctionWrapper


def quote(name: str) -> str:
    """An identifier as SQL writes it."""
    return "`" + name.replace("`", "``") + "`"


class RenderContext:
    """What rendering needs from its table: registering Python functions, and the windows of
    a windowed group-by by alias."""

    def __init__(self, register: Callable[["UserDefinedScalarFunctionWrapper"], str],
                 windows: Optional[Dict[str, Any]] = None) -> None:
        self.register = register
        self.windows = windows or {}


class Expression:
    """A Table API expression. ``render(ctx)`` gives its SQL."""

    def __init__(self, render: Callable[[RenderContext], str], *, name: Optional[str] = None,
                 aggregate: bool = False, window_alias: Optional[str] = None,
                 literal: Any = None) -> None:
        self._render = render
        self._name = name
        self._aggregate = aggregate
        self._window_alias = window_alias
        self._literal = literal

    def render(self, ctx: RenderContext) -> str:
        return self._render(ctx)

    # -- operators ----------------------------------------------------------------------
    def _binary(self, op: str, other: Any, reverse: bool = False) -> "Expression":
        left, right = (to_expr(other), self) if reverse else (self, to_expr(other))
        agg = left._aggregate or right._aggregate
        return Expression(lambda c: f"({left.render(c)} {op} {right.render(c)})", aggregate=agg)

    def __add__(self, o: Any) -> "Expression":
        return self._binary("+", o)

    def __radd__(self, o: Any) -> "Expression":
        return self._binary("+", o, True)

    def __sub__(self, o: Any) -> "Expression":
        return self._binary("-", o)

    def __rsub__(self, o: Any) -> "Expression":
        return self._binary("-", o, True)

    def __mul__(self, o: Any) -> "Expression":
        return self._binary("*", o)

    def __rmul__(self, o: Any) -> "Expression":
        return self._binary("*", o, True)

    def __truediv__(self, o: Any) -> "Expression":
        return self._binary("/", o)

    def __rtruediv__(self, o: Any) -> "Expression":
        return self._binary("/", o, True)

    def __mod__(self, o: Any) -> "Expression":
        other = to_expr(o)
        return Expression(lambda c: f"MOD({self.render(c)}, {other.render(c)})",
                          aggregate=self._aggregate or other._aggregate)

    def __neg__(self) -> "Expression":
        return Expression(lambda c: f"(- {self.render(c)})", aggregate=self._aggregate)

    def __eq__(self, o: Any) -> "Expression":  # type: ignore[override]
        return self._binary("=", o)

    def __ne__(self, o: Any) -> "Expression":  # type: ignore[override]
        return self._binary("<>", o)

    def __lt__(self, o: Any) -> "Expression":
        return self._binary("<", o)

    def __le__(self, o: Any) -> "Expression":
        return self._binary("<=", o)

    def __gt__(self, o: Any) -> "Expression":
        return self._binary(">", o)

    def __ge__(self, o: Any) -> "Expression":
        return self._binary(">=", o)

    def __and__(self, o: Any) -> "Expression":
        return self._binary("AND", o)

    def __or__(self, o: Any) -> "Expression":
        return self._binary("OR", o)

    def __invert__(self) -> "Expression":
        return Expression(lambda c: f"(NOT {self.render(c)})", aggregate=self._aggregate)

    __hash__ = object.__hash__

    def __bool__(self) -> bool:
        raise TypeError("a Table API expression has no truth value: use & | ~, not and/or/not")

    # -- names --------------------------------------------------------------------------
    def alias(self, name: str, *extra_names: str) -> "Expression":
        if extra_names:
            raise ValueError("not supported yet: several names for one expression")
        inner = self
        return Expression(lambda c: f"{inner.render(c)} AS {quote(name)}", name=name,
                          aggregate=self._aggregate)

    # -- aggregates (properties, as in PyFlink) -------------------------------------------
    def _aggregate_of(self, fn: str, distinct: bool = False) -> "Expression":
        inner = self
        d = "DISTINCT " if distinct else ""
        return Expression(lambda c: f"{fn}({d}{inner.render(c)})", aggregate=True)

    @property
    def sum(self) -> "Expression":
        return self._aggregate_of("SUM")

    @property
    def sum0(self) -> "Expression":
        inner = self
        return Expression(lambda c: f"COALESCE(SUM({inner.render(c)}), 0)", aggregate=True)

    @property
    def count(self) -> "Expression":
        return self._aggregate_of("COUNT")

    @property
    def avg(self) -> "Expression":
        return self._aggregate_of("AVG")

    @property
    def min(self) -> "Expression":
        return self._aggregate_of("MIN")

    @property
    def max(self) -> "Expression":
        return self._aggregate_of("MAX")

    @property
    def stddev_pop(self) -> "Expression":
        return self._aggregate_of("STDDEV_POP")

    @property
    def stddev_samp(self) -> "Expression":
        return self._aggregate_of("STDDEV_SAMP")

    @property
    def var_pop(self) -> "Expression":
        return self._aggregate_of("VAR_POP")

    @property
    def var_samp(self) -> "Expression":
        return self._aggregate_of("VAR_SAMP")

    @property
    def distinct(self) -> "Expression":
        """``col('a').count.distinct`` is not the form; write ``col('a').distinct.count``."""
        inner = self
        return _Distinct(inner)

    # -- window properties ---------------------------------------------------------------
    def _window_property(self, prop: str) -> "Expression":
        alias = self._window_alias
        if alias is None:
            raise ValueError(f".{prop.lower()} applies to a group window's alias")

        def render(c: RenderContext) -> str:
            if alias not in c.windows:
                raise ValueError(f"'{alias}' is not a window of this group-by")
            return c.windows[alias].property_sql(prop)

        return Expression(render)

    @property
    def start(self) -> "Expression":
        return self._window_property("START")

    @property
    def end(self) -> "Expression":
        return self._window_property("END")

    @property
    def rowtime(self) -> "Expression":
        return self._window_property("ROWTIME")

    @property
    def proctime(self) -> "Expression":
        return self._window_property("PROCTIME")

    # -- intervals: lit(10).seconds ------------------------------------------------------
    def _interval(self, unit: str) -> "Expression":
        if self._literal is None or not isinstance(self._literal, int):
            raise ValueError(f".{unit.lower()}s applies to an integer literal: lit(10).seconds")
        n = self._literal
        return Expression(lambda c: f"INTERVAL '{n}' {unit}")

    @property
    def millis(self) -> "Expression":
        n = self._literal
        if not isinstance(n, int):
            raise ValueError(".millis applies to an integer literal: lit(500).millis")
        return Expression(lambda c: f"INTERVAL '{n // 1000}.{n % 1000:03d}' SECOND(3)")

    milli = millis

    @property
    def seconds(self) -> "Expression":
        return self._interval("SECOND")

    second = seconds

    @property
    def minutes(self) -> "Expression":
        return self._interval("MINUTE")

    minute = minutes

    @property
    def hours(self) -> "Expression":
        return self._interval("HOUR")

    hour = hours

    @property
    def days(self) -> "Expression":
        return self._interval("DAY")

    day = days

    # -- predicates and functions --------------------------------------------------------
    def _call(self, fn: str, *args: Any) -> "Expression":
        inner = self
        rest = [to_expr(a) for a in args]
        return Expression(
            lambda c: f"{fn}(" + ", ".join([inner.render(c)] + [a.render(c) for a in rest]) + ")",
            aggregate=self._aggregate)

    @property
    def is_null(self) -> "Expression":
        inner = self
        return Expression(lambda c: f"({inner.render(c)} IS NULL)", aggregate=self._aggregate)

    @property
    def is_not_null(self) -> "Expression":
        inner = self
        return Expression(lambda c: f"({inner.render(c)} IS NOT NULL)",
                          aggregate=self._aggregate)

    def like(self, pattern: Any) -> "Expression":
        return self._binary("LIKE", pattern)

    def between(self, lower: Any, upper: Any) -> "Expression":
        lo, hi, inner = to_expr(lower), to_expr(upper), self
        return Expression(lambda c: f"({inner.render(c)} BETWEEN {lo.render(c)} AND "
                                    f"{hi.render(c)})")

    def in_(self, *values: Any) -> "Expression":
        inner, vs = self, [to_expr(v) for v in values]
        return Expression(lambda c: f"({inner.render(c)} IN (" +
                          ", ".join(v.render(c) for v in vs) + "))")

    def cast(self, data_type: Union[DataType, str]) -> "Expression":
        inner, t = self, type_sql(data_type)
        return Expression(lambda c: f"CAST({inner.render(c)} AS {t})", aggregate=self._aggregate)

    def if_then_else(self, if_true: Any, if_false: Any) -> "Expression":
        t, f, inner = to_expr(if_true), to_expr(if_false), self
        return Expression(lambda c: f"(CASE WHEN {inner.render(c)} THEN {t.render(c)} "
                                    f"ELSE {f.render(c)} END)")

    @property
    def upper_case(self) -> "Expression":
        return self._call("UPPER")

    @property
    def lower_case(self) -> "Expression":
        return self._call("LOWER")

    @property
    def char_length(self) -> "Expression":
        return self._call("CHAR_LENGTH")

    @property
    def trim(self) -> "Expression":
        return self._call("TRIM")

    @property
    def abs(self) -> "Expression":
        return self._call("ABS")

    @property
    def floor(self) -> "Expression":
        return self._call("FLOOR")

    @property
    def ceil(self) -> "Expression":
        return self._call("CEIL")

    def round(self, places: Any) -> "Expression":
        return self._call("ROUND", places)

    def substring(self, begin_index: Any, length: Any = None) -> "Expression":
        return self._call("SUBSTRING", begin_index) if length is None else \
            self._call("SUBSTRING", begin_index, length)

    def concat(self, *others: Any) -> "Expression":
        return self._call("CONCAT", *others)

    def __repr__(self) -> str:
        try:
            return self.render(RenderContext(lambda f: f._name))
        except Exception:  # noqa: BLE001 - a window property outside its group-by
            return "Expression"


class _Distinct(Expression):
    """``col('a').distinct`` before an aggregate: ``col('a').distinct.count``."""

    def __init__(self, inner: Expression) -> None:
        super().__init__(inner.render)
        self._inner = inner

    def _aggregate_of(self, fn: str, distinct: bool = False) -> Expression:
        return self._inner._aggregate_of(fn, True)


def to_expr(v: Any) -> Expression:
    return v if isinstance(v, Expression) else lit(v)


def col(name: str) -> Expression:
    """A column by name (a group window's alias too)."""
    return Expression(lambda c: c.windows[name].group_sql() if name in c.windows else quote(name),
                      name=name, window_alias=name)


def lit(v: Any, data_type: Optional[Union[DataType, str]] = None) -> Expression:
    """A literal: None, bool, int, float, str, bytes, Decimal, date, time, datetime."""
    if data_type is not None:
        t = type_sql(data_type)
        inner = lit(v)
        return Expression(lambda c: f"CAST({inner.render(c)} AS {t})", literal=v)
    text = literal_sql(v)
    return Expression(lambda c: text, literal=v)


def literal_sql(v: Any) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int):
        return str(v) if -(2**31) <= v < 2**31 else f"CAST({v} AS BIGINT)"
    if isinstance(v, float):
        return f"CAST({v!r} AS DOUBLE)"
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, str):
        return "'" + v.replace("'", "''") + "'"
    if isinstance(v, (bytes, bytearray)):
        return "X'" + bytes(v).hex() + "'"
    if isinstance(v, datetime.datetime):
        return f"TIMESTAMP '{v.strftime('%Y-%m-%d %H:%M:%S.%f')[:-3]}'"
    if isinstance(v, datetime.date):
        return f"DATE '{v.isoformat()}'"
    if isinstance(v, datetime.time):
        return f"TIME '{v.strftime('%H:%M:%S')}'"
    raise TypeError(f"no SQL literal for a {type(v).__name__}")


def call_function(f: "UserDefinedScalarFunctionWrapper", *args: Any) -> Expression:
    """A Python scalar function called in a Table API expression."""
    exprs = [to_expr(a) for a in args]
    return Expression(lambda c: f"{c.register(f)}(" + ", ".join(e.render(c) for e in exprs) + ")",
                      aggregate=any(e._aggregate for e in exprs))


def call_sql(sql_expression: str) -> Expression:
    """A SQL expression as it is written: ``call_sql("UPPER(name)")``."""
    return Expression(lambda c: f"({sql_expression})")


__all__ = ["Expression", "call_sql", "col", "lit"]
