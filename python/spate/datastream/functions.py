"""User-function interfaces (PyFlink's ``pyflink.datastream.functions``).

Every operator takes either one of these (its method is called) or any
Python callable.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable


class Function:
    """Base of the user-function interfaces."""


class MapFunction(Function):
    def map(self, value: Any) -> Any:
        raise NotImplementedError


class FlatMapFunction(Function):
    def flat_map(self, value: Any) -> Iterable[Any]:
        raise NotImplementedError


class FilterFunction(Function):
    def filter(self, value: Any) -> bool:
        raise NotImplementedError


class ReduceFunction(Function):
    def reduce(self, value1: Any, value2: Any) -> Any:
        raise NotImplementedError


class KeySelector(Function):
    def get_key(self, value: Any) -> Any:
        raise NotImplementedError


def callable_of(f: Any, interface: type, method: str) -> Callable[..., Any]:
    """The function to call: `f`'s `method` when `f` implements `interface`,
    else `f` itself when it is callable."""
    if isinstance(f, interface):
        return getattr(f, method)
    if callable(f):
        return f
    raise TypeError(
        f"expected a {interface.__name__} or a callable, got {type(f).__name__}"
    )
