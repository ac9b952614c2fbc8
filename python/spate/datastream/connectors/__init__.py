"""Sources and sinks for the DataStream API (PyFlink's ``pyflink.datastream.connectors``),
backed by spate's connectors: each stands for one of the SPECs of the README's command
line (``file:``, ``files:``, ``kafka://``, ``redis://``, ``generator:``). ``Spec`` takes one
as it is written."""

from __future__ import annotations

from urllib.parse import quote


class Source:
    def __init__(self, spec: str, numbers: bool = False, first: int = 0) -> None:
        self._spec = spec
        self._numbers = numbers
        self._first = first


class Sink:
    def __init__(self, spec: str) -> None:
        self._spec = spec


class Spec(Source, Sink):
    """Any input or output SPEC: ``Spec("kafka://127.0.0.1:9092/events")``, ``Spec("redis://
    127.0.0.1:6379?key=...")``. As a source each line is a str; as a sink each value is
    written as str(value)."""

    def __init__(self, spec: str) -> None:
        Source.__init__(self, spec)


def option_value(v: str) -> str:
    """A SPEC option's value, percent-encoded where it must be."""
    return quote(str(v), safe="")


from spate.datastream.connectors.file_system import FileSink, FileSource  # noqa: E402
from spate.datastream.connectors.kafka import KafkaSink, KafkaSource  # noqa: E402
from spate.datastream.connectors.number_seq import NumberSequenceSource  # noqa: E402

__all__ = ["FileSink", "FileSource", "KafkaSink", "KafkaSource", "NumberSequenceSource",
           "Sink", "Source", "Spec"]
