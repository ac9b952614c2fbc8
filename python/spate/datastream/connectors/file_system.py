"""PyFlink's ``FileSource`` (text lines) and ``FileSink`` (row format): files read with their
positions in checkpoints; part files written exactly once (committed with checkpoints)."""

from __future__ import annotations

from typing import Any, List

from spate.datastream.connectors import Sink, Source


class StreamFormat:
    @staticmethod
    def text_line_format(charset_name: str = "UTF-8") -> "StreamFormat":
        if charset_name.upper().replace("-", "") != "UTF8":
            raise ValueError("not supported yet: text files in " + charset_name)
        return StreamFormat()


class FileSource(Source):
    class Builder:
        def __init__(self, paths: List[str]) -> None:
            if len(paths) != 1:
                raise ValueError("not supported yet: a FileSource of several paths")
            self._path = paths[0]

        def monitor_continuously(self, discovery_interval: Any) -> "FileSource.Builder":
            raise ValueError("not supported yet: monitoring a directory for new files")

        def build(self) -> "FileSource":
            return FileSource(self._path)

    def __init__(self, path: str) -> None:
        super().__init__(f"file:{path}")

    @staticmethod
    def for_record_stream_format(stream_format: StreamFormat, *paths: str) -> "FileSource.Builder":
        return FileSource.Builder(list(paths))


class Encoder:
    @staticmethod
    def simple_string_encoder(charset_name: str = "UTF-8") -> "Encoder":
        return Encoder()


class FileSink(Sink):
    """One part file per subtask under the directory, each line str(value)."""

    class Builder:
        def __init__(self, path: str) -> None:
            self._path = path

        def with_rolling_policy(self, policy: Any) -> "FileSink.Builder":
            return self

        def with_output_file_config(self, config: Any) -> "FileSink.Builder":
            return self

        def build(self) -> "FileSink":
            return FileSink(self._path)

    def __init__(self, path: str) -> None:
        super().__init__(f"files:{path}")

    @staticmethod
    def for_row_format(base_path: str, encoder: Encoder) -> "FileSink.Builder":
        return FileSink.Builder(base_path)
