"""Group windows of the Table API (PyFlink's ``Tumble``, ``Slide``, ``Session``), rendered
as Flink SQL's group window functions (``GROUP BY TUMBLE(ts, INTERVAL '10' SECOND)``)."""

from __future__ import annotations

from typing import Any, Optional

from spate.table.expressions import Expression, RenderContext, col, to_expr


class GroupWindow:
    def __init__(self, kind: str, size: Expression, slide: Optional[Expression] = None,
                 time_field: Optional[Expression] = None, alias: Optional[str] = None) -> None:
        self._kind = kind
        self._size = size
        self._slide = slide
        self._time_field = time_field
        self._alias = alias
        self._ctx: Optional[RenderContext] = None

    def _args(self) -> str:
        if self._time_field is None:
            raise ValueError(f"a {self._kind} window needs .on(<time attribute>)")
        ctx = self._ctx or RenderContext(lambda f: f._name)
        time = self._time_field.render(ctx)
        if self._kind == "HOP":
            return f"{time}, {self._slide.render(ctx)}, {self._size.render(ctx)}"
        return f"{time}, {self._size.render(ctx)}"

    def group_sql(self) -> str:
        return f"{self._kind}({self._args()})"

    def property_sql(self, prop: str) -> str:
        return f"{self._kind}_{prop}({self._args()})"

    def get_alias(self) -> str:
        if self._alias is None:
            raise ValueError(f"a {self._kind} window needs .alias(<name>) to be grouped by")
        return self._alias


class _WithSize:
    def __init__(self, kind: str, size: Expression) -> None:
        self._kind = kind
        self._size = size

    def on(self, time_field: Any) -> "_WithTime":
        return _WithTime(self._kind, self._size, None, _field(time_field))


class _WithTime:
    def __init__(self, kind: str, size: Expression, slide: Optional[Expression],
                 time_field: Expression) -> None:
        self._args = (kind, size, slide, time_field)

    def alias(self, alias: str) -> GroupWindow:
        return GroupWindow(*self._args, alias=alias)


class Tumble:
    """``Tumble.over(lit(10).minutes).on(col('rowtime')).alias('w')``."""

    @staticmethod
    def over(size: Any) -> _WithSize:
        return _WithSize("TUMBLE", _span(size))


class _SlideWithSize:
    def __init__(self, size: Expression) -> None:
        self._size = size

    def every(self, slide: Any) -> "_SlideWithSlide":
        return _SlideWithSlide(self._size, _span(slide))


class _SlideWithSlide:
    def __init__(self, size: Expression, slide: Expression) -> None:
        self._size = size
        self._slide = slide

    def on(self, time_field: Any) -> _WithTime:
        return _WithTime("HOP", self._size, self._slide, _field(time_field))


class Slide:
    """``Slide.over(lit(10).minutes).every(lit(5).minutes).on(col('rowtime')).alias('w')``."""

    @staticmethod
    def over(size: Any) -> _SlideWithSize:
        return _SlideWithSize(_span(size))


class Session:
    """``Session.with_gap(lit(10).minutes).on(col('rowtime')).alias('w')``."""

    @staticmethod
    def with_gap(gap: Any) -> _WithSize:
        return _WithSize("SESSION", _span(gap))


def _field(f: Any) -> Expression:
    return col(f.strip()) if isinstance(f, str) else f


def _span(v: Any) -> Expression:
    """A window's size, slide or gap: an Expression, or text (``"10.seconds"``)."""
    if isinstance(v, str):
        from spate.table.expression_parser import parse_expression

        return parse_expression(v)
    return to_expr(v)


__all__ = ["GroupWindow", "Session", "Slide", "Tumble"]
