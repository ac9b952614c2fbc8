"""The DataStream API (PyFlink's ``pyflink.datastream``)."""

from spate.datastream.data_stream import CloseableIterator, DataStream, KeyedStream
from spate.datastream.functions import (
    FilterFunction,
    FlatMapFunction,
    KeyedProcessFunction,
    KeySelector,
    MapFunction,
    ProcessFunction,
    ReduceFunction,
    RuntimeContext,
    TimerService,
)
from spate.datastream.stream_execution_environment import StreamExecutionEnvironment

__all__ = [
    "CloseableIterator",
    "DataStream",
    "FilterFunction",
    "FlatMapFunction",
    "KeySelector",
    "KeyedProcessFunction",
    "KeyedStream",
    "MapFunction",
    "ProcessFunction",
    "ReduceFunction",
    "RuntimeContext",
    "StreamExecutionEnvironment",
    "TimerService",
]
