"""PyFlink's ``DataStream`` and ``KeyedStream``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator, List, Optional

from spate.common.typeinfo import TypeInformation
from spate.datastream.functions import (
    FilterFunction,
    FlatMapFunction,
    KeySelector,
    MapFunction,
    ReduceFunction,
    callable_of,
)

if TYPE_CHECKING:
    from spate.datastream.stream_execution_environment import StreamExecutionEnvironment


class CloseableIterator:
    """The values execute_and_collect gathered (PyFlink returns the same
    kind of iterator); usable in a ``with`` block."""

    def __init__(self, values: List[Any]) -> None:
        self._it = iter(values)

    def __iter__(self) -> "CloseableIterator":
        return self

    def __next__(self) -> Any:
        return next(self._it)

    def close(self) -> None:
        self._it = iter(())

    def __enter__(self) -> "CloseableIterator":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class DataStream:
    """A stream of Python values."""

    def __init__(self, env: "StreamExecutionEnvironment", handle: Any) -> None:
        self._env = env
        self._handle = handle

    def get_execution_environment(self) -> "StreamExecutionEnvironment":
        return self._env

    def map(
        self, func: Any, output_type: Optional[TypeInformation] = None
    ) -> "DataStream":
        f = callable_of(func, MapFunction, "map")
        return DataStream(self._env, self._handle.map(f, ""))

    def flat_map(
        self, func: Any, output_type: Optional[TypeInformation] = None
    ) -> "DataStream":
        f = callable_of(func, FlatMapFunction, "flat_map")
        return DataStream(self._env, self._handle.flat_map(f, ""))

    def filter(self, func: Any) -> "DataStream":
        f = callable_of(func, FilterFunction, "filter")
        return DataStream(self._env, self._handle.filter(f, ""))

    def process(self, func: Any, output_type: Optional[TypeInformation] = None) -> "DataStream":
        """A ProcessFunction on a stream that is not keyed (keyed ones: key_by(...).process)."""
        from spate.datastream.functions import ProcessFunction, _process_factory

        if not isinstance(func, ProcessFunction):
            raise TypeError(f"expected a ProcessFunction, got {type(func).__name__}")
        return DataStream(self._env, self._handle.process(_process_factory(func), ""))

    def key_by(
        self, key_selector: Any, key_type: Optional[TypeInformation] = None
    ) -> "KeyedStream":
        """Partitions by the key `key_selector` returns. Keys are compared by
        their pickled bytes: equal values of one type are one key."""
        return KeyedStream(self, callable_of(key_selector, KeySelector, "get_key"))

    def name(self, name: str) -> "DataStream":
        self._handle.set_name(name)
        return self

    def uid(self, uid: str) -> "DataStream":
        """The stable identity that matches this operator's state on restore."""
        self._handle.set_uid(uid)
        return self

    def set_parallelism(self, parallelism: int) -> "DataStream":
        self._handle.set_parallelism(parallelism)
        return self

    def assign_timestamps_and_watermarks(self, watermark_strategy: Any) -> "DataStream":
        """Event time from the strategy's timestamp assigner (or the records' own), and
        watermarks that trail the largest timestamp by its out-of-orderness bound."""
        from spate.common.watermark_strategy import WatermarkStrategy

        if not isinstance(watermark_strategy, WatermarkStrategy):
            raise TypeError("expected a WatermarkStrategy")
        if watermark_strategy._bound_ms is None:
            raise ValueError("WatermarkStrategy.no_watermarks() assigns nothing: give a bound")
        idle = -1 if watermark_strategy._idle_ms is None else watermark_strategy._idle_ms
        return DataStream(self._env, self._handle.assign_timestamps(
            watermark_strategy._assigner, watermark_strategy._bound_ms, idle))

    def sink_to(self, sink: Any) -> None:
        """Writes str() of each value to a sink of spate.datastream.connectors (FileSink,
        KafkaSink, Spec)."""
        from spate.datastream.connectors import Sink

        if not isinstance(sink, Sink):
            raise TypeError(f"expected a sink of spate.datastream.connectors, got "
                            f"{type(sink).__name__}")
        self._handle.sink_to_spec(sink._spec)

    add_sink = sink_to

    def print(self, sink_identifier: Optional[str] = None) -> None:
        """Writes str() of every value to standard output, one per line,
        with ``n> `` first (the subtask) when the job runs in parallel."""
        self._handle.print(f"{sink_identifier}:" if sink_identifier else "")

    def execute_and_collect(
        self, job_execution_name: Optional[str] = None, limit: Optional[int] = None
    ) -> Any:
        """Runs the job and returns its values: an iterator, or a list of at
        most `limit` values when `limit` is given."""
        collector = self._handle.collect()
        self._env.execute(job_execution_name or "collect")
        values = collector.values()
        if limit is not None:
            return values[:limit]
        return CloseableIterator(values)


class KeyedStream:
    """A DataStream partitioned by key."""

    def __init__(self, stream: DataStream, key: Any) -> None:
        self._stream = stream
        self._key = key

    def _aggregate_field(self, position: Any, pick: Any) -> DataStream:
        """A running aggregate of one field (a tuple position, a Row field name, or the value
        itself when None): `pick(old, new)` gives the record to keep for that field."""

        def field(v: Any) -> Any:
            if position is None:
                return v
            if isinstance(position, str):
                return getattr(v, position) if not isinstance(v, dict) else v[position]
            return v[position]

        def replace(v: Any, x: Any) -> Any:
            if position is None:
                return x
            if isinstance(v, tuple) and not isinstance(position, str):
                return v[:position] + (x,) + v[position + 1:]
            if isinstance(v, list):
                out = list(v)
                out[position] = x
                return out
            raise TypeError(f"cannot set field {position!r} of a {type(v).__name__}")

        return self.reduce(lambda a, b: pick(a, b, field, replace))

    def sum(self, position_to_sum: Any = None) -> DataStream:
        """The running sum of a field per key; the other fields are the first record's."""
        return self._aggregate_field(position_to_sum,
                                     lambda a, b, f, r: r(a, f(a) + f(b)))

    def min(self, position_to_min: Any = None) -> DataStream:
        """The running minimum of a field per key; the other fields are the first record's."""
        return self._aggregate_field(position_to_min,
                                     lambda a, b, f, r: r(a, min(f(a), f(b))))

    def max(self, position_to_max: Any = None) -> DataStream:
        return self._aggregate_field(position_to_max,
                                     lambda a, b, f, r: r(a, max(f(a), f(b))))

    def min_by(self, position_to_min_by: Any = None) -> DataStream:
        """The record with the smallest field so far per key (the earlier one on ties)."""
        return self._aggregate_field(position_to_min_by,
                                     lambda a, b, f, r: b if f(b) < f(a) else a)

    def max_by(self, position_to_max_by: Any = None) -> DataStream:
        return self._aggregate_field(position_to_max_by,
                                     lambda a, b, f, r: b if f(b) > f(a) else a)

    def window(self, window_assigner: Any) -> Any:
        """Windows per key (spate.datastream.window): then reduce, aggregate or process."""
        from spate.datastream.window import WindowAssigner, WindowedStream

        if not isinstance(window_assigner, WindowAssigner):
            raise TypeError("expected a window assigner of spate.datastream.window")
        return WindowedStream(self, window_assigner)

    def process(self, func: Any, output_type: Optional[TypeInformation] = None) -> DataStream:
        """A KeyedProcessFunction: keyed state and timers, its output yielded."""
        from spate.datastream.functions import KeyedProcessFunction

        if not isinstance(func, KeyedProcessFunction):
            raise TypeError(f"expected a KeyedProcessFunction, got {type(func).__name__}")
        handle = self._stream._handle.key_by_process(self._key, func, "")
        return DataStream(self._stream._env, handle)

    def reduce(self, func: Any) -> DataStream:
        """A running reduce per key: every input emits the key's new value."""
        f = callable_of(func, ReduceFunction, "reduce")
        handle = self._stream._handle.key_by_reduce(self._key, f, "")
        return DataStream(self._stream._env, handle)
