"""Windows of keyed streams (PyFlink's ``pyflink.datastream.window``): assigners, TimeWindow,
and the functions a window applies."""

from __future__ import annotations

from typing import Any, Iterable


def _ms(t: Any) -> int:
    if hasattr(t, "to_milliseconds"):
        return int(t.to_milliseconds())
    raise TypeError(f"expected a Time or a Duration, got {type(t).__name__}")


class WindowAssigner:
    def __init__(self, kind: str, event_time: bool, size: int, slide: int = 0,
                 offset: int = 0) -> None:
        self._args = (kind, event_time, size, slide, offset)


class TumblingEventTimeWindows:
    @staticmethod
    def of(size: Any, offset: Any = None) -> WindowAssigner:
        return WindowAssigner("tumbling", True, _ms(size), 0, _ms(offset) if offset else 0)


class TumblingProcessingTimeWindows:
    @staticmethod
    def of(size: Any, offset: Any = None) -> WindowAssigner:
        return WindowAssigner("tumbling", False, _ms(size), 0, _ms(offset) if offset else 0)


class SlidingEventTimeWindows:
    @staticmethod
    def of(size: Any, slide: Any, offset: Any = None) -> WindowAssigner:
        return WindowAssigner("sliding", True, _ms(size), _ms(slide), _ms(offset) if offset else 0)


class SlidingProcessingTimeWindows:
    @staticmethod
    def of(size: Any, slide: Any, offset: Any = None) -> WindowAssigner:
        return WindowAssigner("sliding", False, _ms(size), _ms(slide),
                              _ms(offset) if offset else 0)


class EventTimeSessionWindows:
    @staticmethod
    def with_gap(gap: Any) -> WindowAssigner:
        return WindowAssigner("session", True, _ms(gap))


class ProcessingTimeSessionWindows:
    @staticmethod
    def with_gap(gap: Any) -> WindowAssigner:
        return WindowAssigner("session", False, _ms(gap))


class TimeWindow:
    """[start, end) in ms."""

    def __init__(self, start: int, end: int) -> None:
        self.start = start
        self.end = end

    def max_timestamp(self) -> int:
        return self.end - 1

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TimeWindow) and (other.start, other.end) == (self.start,
                                                                              self.end)

    def __hash__(self) -> int:
        return hash((self.start, self.end))

    def __repr__(self) -> str:
        return f"TimeWindow(start={self.start}, end={self.end})"


class ProcessWindowFunction:
    """Every element of a key's window when it fires: ``process`` yields the output."""

    class Context:
        def __init__(self, window: TimeWindow) -> None:
            self._window = window

        def window(self) -> TimeWindow:
            return self._window

    def process(self, key: Any, context: "ProcessWindowFunction.Context",
                elements: Iterable[Any]) -> Iterable[Any]:
        raise NotImplementedError


class AggregateFunction:
    """An accumulator per key and window: ``create_accumulator``, ``add(value, acc)``,
    ``get_result(acc)``, ``merge(a, b)`` (sessions merge windows)."""

    def create_accumulator(self) -> Any:
        raise NotImplementedError

    def add(self, value: Any, accumulator: Any) -> Any:
        raise NotImplementedError

    def get_result(self, accumulator: Any) -> Any:
        raise NotImplementedError

    def merge(self, acc_a: Any, acc_b: Any) -> Any:
        raise NotImplementedError


class WindowedStream:
    """``key_by(...).window(assigner)``: then ``reduce``, ``aggregate`` or ``process``."""

    def __init__(self, keyed: Any, assigner: WindowAssigner) -> None:
        self._keyed = keyed
        self._assigner = assigner

    def _apply(self, op: str, fn: Any) -> Any:
        from spate.datastream.data_stream import DataStream

        stream = self._keyed._stream
        handle = stream._handle.key_by_window(self._keyed._key, *self._assigner._args, op, fn, "")
        return DataStream(stream._env, handle)

    def reduce(self, reduce_function: Any) -> Any:
        from spate.datastream.functions import ReduceFunction, callable_of

        return self._apply("reduce", callable_of(reduce_function, ReduceFunction, "reduce"))

    def aggregate(self, aggregate_function: AggregateFunction) -> Any:
        if not isinstance(aggregate_function, AggregateFunction):
            raise TypeError("expected an AggregateFunction")
        return self._apply("aggregate", aggregate_function)

    def process(self, process_window_function: ProcessWindowFunction) -> Any:
        if not isinstance(process_window_function, ProcessWindowFunction):
            raise TypeError("expected a ProcessWindowFunction")
        fn = process_window_function

        def fire(key: Any, start: int, end: int, elements: list) -> Any:
            return fn.process(key, ProcessWindowFunction.Context(TimeWindow(start, end)),
                              elements)

        return self._apply("process", fire)
