"""User-function interfaces (PyFlink's ``pyflink.datastream.functions``).

Every operator takes either one of these (its method is called) or any
Python callable.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Optional


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


class RuntimeContext:
    """What ``open`` receives: the subtask and its keyed state."""

    def __init__(self, access: Any, subtask: int, parallelism: int, task_name: str) -> None:
        self._access = access
        self._subtask = subtask
        self._parallelism = parallelism
        self._task_name = task_name

    def get_index_of_this_subtask(self) -> int:
        return self._subtask

    def get_number_of_parallel_subtasks(self) -> int:
        return self._parallelism

    def get_task_name(self) -> str:
        return self._task_name

    def get_state(self, state_descriptor: Any) -> Any:
        from spate.datastream.state import ValueState

        return ValueState(self._access.value_state(state_descriptor.name))

    def get_list_state(self, state_descriptor: Any) -> Any:
        from spate.datastream.state import ListState

        return ListState(self._access.list_state(state_descriptor.name))

    def get_map_state(self, state_descriptor: Any) -> Any:
        from spate.datastream.state import MapState

        return MapState(self._access.map_state(state_descriptor.name))


class TimerService:
    """Timers of the current key: ``on_timer`` is called once per key and time."""

    def __init__(self, native: Any) -> None:
        self._native = native

    def register_event_time_timer(self, timestamp: int) -> None:
        self._native.register_event_time_timer(int(timestamp))

    def register_processing_time_timer(self, timestamp: int) -> None:
        self._native.register_processing_time_timer(int(timestamp))

    def delete_event_time_timer(self, timestamp: int) -> None:
        self._native.delete_event_time_timer(int(timestamp))

    def delete_processing_time_timer(self, timestamp: int) -> None:
        self._native.delete_processing_time_timer(int(timestamp))

    def current_watermark(self) -> int:
        return self._native.current_watermark()

    def current_processing_time(self) -> int:
        return self._native.current_processing_time()


class ProcessFunction(Function):
    """Per record of a stream that is not keyed: ``process_element(value, ctx)`` yields (or
    returns an iterable of) its output; ``ctx.timestamp()`` is the record's event time. Each
    subtask calls its own copy, opened before its first record."""

    class Context:
        def __init__(self) -> None:
            self._timestamp: Optional[int] = None

        def timestamp(self) -> Optional[int]:
            return self._timestamp

    def open(self, runtime_context: "RuntimeContext") -> None:
        pass

    def process_element(self, value: Any, ctx: "ProcessFunction.Context") -> Any:
        raise NotImplementedError

    def close(self) -> None:
        pass


def _process_factory(fn: ProcessFunction) -> Callable[[], Callable[[Any, Optional[int]], Any]]:
    """What the native operator calls once per subtask: a copy of `fn`, opened, as a
    function of (value, record timestamp)."""
    import copy

    def make() -> Callable[[Any, Optional[int]], Any]:
        f = copy.copy(fn)
        ctx = ProcessFunction.Context()
        f.open(RuntimeContext(None, 0, 1, type(fn).__name__))
        process_element = f.process_element

        def call(value: Any, timestamp: Optional[int]) -> Any:
            ctx._timestamp = timestamp
            return process_element(value, ctx)

        return call

    return make


class KeyedProcessFunction(Function):
    """Per record of a keyed stream, with keyed state (``open``: ``get_state``) and timers.
    ``process_element`` and ``on_timer`` yield (or return an iterable of) their output."""

    class Context:
        def __init__(self, native: Any) -> None:
            self._native = native
            self._timers = TimerService(native)

        def timestamp(self) -> Optional[int]:
            """The record's event time (ms), or the firing timer's time in on_timer."""
            return self._native.timestamp()

        def get_current_key(self) -> Any:
            return self._native.get_current_key()

        def timer_service(self) -> TimerService:
            return self._timers

    OnTimerContext = Context

    def open(self, runtime_context: RuntimeContext) -> None:
        pass

    def process_element(self, value: Any, ctx: "KeyedProcessFunction.Context") -> Any:
        raise NotImplementedError

    def on_timer(self, timestamp: int, ctx: "KeyedProcessFunction.Context") -> Any:
        pass

    def close(self) -> None:
        pass


def _open_keyed_process(fn: Any, access: Any, native: Any, subtask: int, parallelism: int,
                        task_name: str) -> tuple:
    """One subtask's instance of a KeyedProcessFunction (its own copy), opened: what the
    native operator calls (python/src/process.cpp)."""
    import copy

    f = copy.copy(fn)
    ctx = KeyedProcessFunction.Context(native)
    f.open(RuntimeContext(access, subtask, parallelism, task_name))
    return (f, f.process_element, f.on_timer, f.close, ctx)
