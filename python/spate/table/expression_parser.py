"""The Table API's string expressions (``"ticker, price.min as price"``,
``Tumble.over("10.seconds")``): the syntax Flink's Table API took as text before its
``col``/``lit`` expressions (and PyFlink scripts written then still use), parsed into
Expression objects.

Covered: field names; integer, decimal, string (``'a'`` or ``"a"``), ``true``, ``false`` and
``null`` literals; ``+ - * / %``; ``=== == = !== != < <= > >=``; ``&& || !`` (and ``and``,
``or``, ``not``); calls ``f(a, b)`` of SQL or registered functions; suffixes ``.sum .sum0
.count .avg .min .max`` (aggregates), ``.start .end .rowtime .proctime`` (a window's alias),
``.seconds .minutes .hours .days .millis`` (after an integer: an interval), ``.upperCase()``,
``.lowerCase()``, ``.charLength()``, ``.trim()``, ``.isNull``, ``.isNotNull``, ``.cast(TYPE)``
and ``.as(name)``; ``expr as name``."""

from __future__ import annotations

import re
from typing import List, Optional, Tuple

from spate.table.expressions import Expression, col, lit, quote

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<number>\d+(?:\.\d+)?(?![A-Za-z_]))
    | (?P<string>'(?:[^']|'')*'|"(?:[^"\\]|\\.)*")
    | (?P<name>[A-Za-z_$][A-Za-z0-9_$]*|`(?:[^`]|``)+`)
    | (?P<op>===|!==|==|!=|<>|<=|>=|&&|\|\||[-+*/%(),.<>=!])
    )""", re.VERBOSE)

_AGGREGATES = {"sum", "sum0", "count", "avg", "min", "max", "stddev_pop", "stddev_samp",
               "var_pop", "var_samp"}
_WINDOW_PROPERTIES = {"start", "end", "rowtime", "proctime"}
_UNITS = {"millis", "milli", "second", "seconds", "minute", "minutes", "hour", "hours", "day",
          "days"}
_METHODS = {"upperCase": "upper_case", "lowerCase": "lower_case", "charLength": "char_length",
            "trim": "trim", "isNull": "is_null", "isNotNull": "is_not_null", "abs": "abs",
            "floor": "floor", "ceil": "ceil"}


class ExpressionSyntaxError(ValueError):
    pass


def _tokens(text: str) -> List[Tuple[str, str, int]]:
    out, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ExpressionSyntaxError(f"cannot read the expression {text!r} at column "
                                        f"{pos + 1}")
        kind = m.lastgroup
        out.append((kind, m.group(kind), m.start(kind)))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokens(text)
        self.i = 0

    def peek(self, value: Optional[str] = None) -> bool:
        if self.i >= len(self.toks):
            return False
        kind, v, _ = self.toks[self.i]
        if value is None:
            return True
        if kind == "name":
            return v.lower() == value.lower()
        return v == value

    def take(self, value: Optional[str] = None) -> Tuple[str, str, int]:
        if not self.peek(value):
            where = self.toks[self.i][2] + 1 if self.i < len(self.toks) else len(self.text) + 1
            want = f"'{value}'" if value else "more"
            raise ExpressionSyntaxError(f"expected {want} in the expression {self.text!r} at "
                                        f"column {where}")
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def accept(self, *values: str) -> Optional[str]:
        for v in values:
            if self.peek(v):
                return self.take(v)[1]
        return None

    def list(self) -> List[Expression]:
        out = [self.aliased()]
        while self.accept(","):
            out.append(self.aliased())
        if self.i != len(self.toks):
            self.take(",")
        return out

    def aliased(self) -> Expression:
        e = self.or_()
        if self.accept("as"):
            e = e.alias(_unquote(self.take()[1]))
        return e

    def or_(self) -> Expression:
        e = self.and_()
        while self.accept("||", "or"):
            e = e | self.and_()
        return e

    def and_(self) -> Expression:
        e = self.not_()
        while self.accept("&&", "and"):
            e = e & self.not_()
        return e

    def not_(self) -> Expression:
        if self.accept("!", "not"):
            return ~self.not_()
        return self.comparison()

    def comparison(self) -> Expression:
        e = self.additive()
        op = self.accept("===", "==", "=", "!==", "!=", "<>", "<=", ">=", "<", ">")
        if op is None:
            return e
        right = self.additive()
        if op in ("===", "==", "="):
            return e == right
        if op in ("!==", "!=", "<>"):
            return e != right
        return {"<": e < right, "<=": e <= right, ">": e > right, ">=": e >= right}[op]

    def additive(self) -> Expression:
        e = self.multiplicative()
        while True:
            op = self.accept("+", "-")
            if op is None:
                return e
            r = self.multiplicative()
            e = e + r if op == "+" else e - r

    def multiplicative(self) -> Expression:
        e = self.unary()
        while True:
            op = self.accept("*", "/", "%")
            if op is None:
                return e
            r = self.unary()
            e = e * r if op == "*" else e / r if op == "/" else e % r

    def unary(self) -> Expression:
        if self.accept("-"):
            return -self.unary()
        return self.suffixes(self.primary())

    def primary(self) -> Expression:
        kind, v, _ = self.take()
        if kind == "number":
            return lit(int(v)) if "." not in v else Expression(lambda c, v=v: v, literal=v)
        if kind == "string":
            body = v[1:-1].replace("''", "'") if v[0] == "'" else bytes(
                v[1:-1], "utf-8").decode("unicode_escape")
            return lit(body)
        if kind == "op" and v == "(":
            e = self.or_()
            self.take(")")
            return e
        if kind != "name":
            raise ExpressionSyntaxError(f"unexpected '{v}' in the expression {self.text!r}")
        low = v.lower()
        if low in ("true", "false"):
            return lit(low == "true")
        if low == "null":
            return lit(None)
        name = _unquote(v)
        if self.peek("("):
            self.take("(")
            args = [] if self.peek(")") else [self.or_()]
            while self.accept(","):
                args.append(self.or_())
            self.take(")")
            return Expression(lambda c, n=name, a=args: f"{n}(" +
                              ", ".join(x.render(c) for x in a) + ")",
                              aggregate=any(x._aggregate for x in args))
        return col(name)

    def suffixes(self, e: Expression) -> Expression:
        while self.peek("."):
            self.take(".")
            _, name, _ = self.take()
            call_args: Optional[List[str]] = None
            if self.peek("("):
                self.take("(")
                call_args = []
                while not self.peek(")"):
                    call_args.append(self.take()[1])
                    self.accept(",")
                self.take(")")
            low = name.lower()
            if low in _AGGREGATES:
                e = getattr(e, low)
            elif low in _WINDOW_PROPERTIES:
                e = getattr(e, low)
            elif low in _UNITS:
                e = getattr(e, low)
            elif name in _METHODS:
                e = getattr(e, _METHODS[name])
            elif low == "as" and call_args:
                e = e.alias(_unquote(call_args[0]))
            elif low == "cast" and call_args:
                e = e.cast(" ".join(call_args))
            else:
                raise ExpressionSyntaxError(f"not supported yet: .{name} in the expression "
                                            f"{self.text!r}")
        return e


def _unquote(name: str) -> str:
    return name[1:-1].replace("``", "`") if name.startswith("`") else name


def parse_expression_list(text: str) -> List[Expression]:
    """``"a, b.sum as total"`` as Expressions."""
    return _Parser(text).list()


def parse_expression(text: str) -> Expression:
    (e,) = parse_expression_list(text)
    return e


__all__ = ["ExpressionSyntaxError", "parse_expression", "parse_expression_list", "quote"]
