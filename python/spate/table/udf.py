"""User-defined functions (PyFlink's ``pyflink.table.udf``): Python scalar functions that
SQL and the Table API call, inside the spate process."""

from __future__ import annotations

import copy
import functools
import itertools
from typing import Any, Callable, List, Optional, Union

from spate.table.types import DataType, type_sql


class FunctionContext:
    """What ``open`` receives."""

    def __init__(self, job_parameters: Optional[dict] = None) -> None:
        self._job_parameters = job_parameters or {}

    def get_job_parameter(self, key: str, default_value: str) -> str:
        return self._job_parameters.get(key, default_value)


class UserDefinedFunction:
    """Base of the user-defined function classes."""

    def open(self, function_context: FunctionContext) -> None:
        pass

    def close(self) -> None:
        pass

    def is_deterministic(self) -> bool:
        return True


class ScalarFunction(UserDefinedFunction):
    """One value from a row's values: override ``eval``. Each task calls its own copy,
    opened once before its first call and closed when the task ends."""

    def eval(self, *args: Any) -> Any:
        raise NotImplementedError


class _Instance:
    """One task's instance of a function: ``eval`` and ``close``."""

    def __init__(self, func: Any) -> None:
        if isinstance(func, ScalarFunction):
            func = copy.copy(func)
            func.open(FunctionContext())
            self.eval = func.eval
            self.close = func.close
        else:
            self.eval = func
            self.close = None


_ids = itertools.count()


class UserDefinedScalarFunctionWrapper:
    """What ``udf`` returns: register it with ``create_temporary_function``, call it from SQL
    by that name, or call it in Table API expressions."""

    def __init__(self, func: Any, input_types: Optional[List[Union[DataType, str]]],
                 result_type: Union[DataType, str], deterministic: Optional[bool],
                 name: Optional[str]) -> None:
        if result_type is None:
            raise TypeError("a Python scalar function needs a result_type")
        if not callable(func) and not isinstance(func, ScalarFunction):
            raise TypeError(f"expected a function or a ScalarFunction, got {type(func).__name__}")
        self._func = func
        self._input_types = None if input_types is None else [
            type_sql(t) for t in (input_types if isinstance(input_types, list) else [input_types])]
        self._result_type = type_sql(result_type)
        if deterministic is None:
            deterministic = func.is_deterministic() if isinstance(func, ScalarFunction) else True
        self._deterministic = deterministic
        self._name = name or getattr(func, "__name__", type(func).__name__)
        # The SQL function class this wrapper is registered as (one per wrapper).
        self._class_name = f"python:{self._name}#{next(_ids)}"
        self._registered = False
        if not isinstance(func, ScalarFunction):
            functools.update_wrapper(self, func)

    def _register(self) -> str:
        if not self._registered:
            from spate import _spate

            func = self._func
            _spate._register_function(self._class_name, self._name, lambda: _Instance(func),
                                      self._input_types, self._result_type, self._deterministic)
            self._registered = True
        return self._class_name

    def __call__(self, *args: Any) -> Any:
        from spate.table.expressions import Expression, call_function

        if any(isinstance(a, Expression) for a in args):
            return call_function(self, *args)
        # A plain call (tests, other Python code): the function itself.
        f = self._func.eval if isinstance(self._func, ScalarFunction) else self._func
        return f(*args)


def udf(f: Any = None, input_types: Optional[List[Union[DataType, str]]] = None,
        result_type: Union[DataType, str, None] = None, deterministic: Optional[bool] = None,
        name: Optional[str] = None, func_type: str = "general",
        udf_type: Optional[str] = None) -> Any:
    """A Python scalar function: ``@udf(result_type=DataTypes.BIGINT())`` on a function, or
    ``udf(MyScalarFunction(), result_type=...)``. Without ``input_types`` its parameters take
    the types of the arguments of each call. ``func_type='pandas'`` is not supported."""
    if (udf_type or func_type) not in ("general",):
        raise ValueError("not supported yet: pandas (vectorized) Python functions")
    if f is None:
        return functools.partial(udf, input_types=input_types, result_type=result_type,
                                 deterministic=deterministic, name=name, func_type=func_type)
    return UserDefinedScalarFunctionWrapper(f, input_types, result_type, deterministic, name)


__all__ = ["FunctionContext", "ScalarFunction", "UserDefinedFunction",
           "UserDefinedScalarFunctionWrapper", "udf"]
