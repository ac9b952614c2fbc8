"""PyFlink's ``StreamExecutionEnvironment``: builds a job and runs it in this
process on spate's native runtime."""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Optional

from spate import _spate
from spate.common.job_execution_result import JobExecutionResult, JobFailedError
from spate.common.typeinfo import TypeInformation


class StreamExecutionEnvironment:
    """Sources, settings and execution. ``configuration`` takes Flink's keys
    (``parallelism.default``, ``execution.checkpointing.interval``, ...)."""

    def __init__(self, configuration: Optional[Mapping[str, Any]] = None) -> None:
        options = [(str(k), str(v)) for k, v in (configuration or {}).items()]
        self._env = _spate._Environment(options)

    @staticmethod
    def get_execution_environment(
        configuration: Optional[Mapping[str, Any]] = None,
    ) -> "StreamExecutionEnvironment":
        return StreamExecutionEnvironment(configuration)

    def set_parallelism(self, parallelism: int) -> "StreamExecutionEnvironment":
        self._env.set_parallelism(parallelism)
        return self

    def get_parallelism(self) -> int:
        return self._env.parallelism()

    def set_option(self, key: str, value: Any) -> "StreamExecutionEnvironment":
        """Sets one of Flink's configuration keys."""
        self._env.set_option(key, str(value))
        return self

    def set_python_executable(self, python: str) -> "StreamExecutionEnvironment":
        """Accepted for PyFlink scripts: spate runs Python functions in its own process, in the
        interpreter that runs the script."""
        return self

    def enable_checkpointing(self, interval_ms: int) -> "StreamExecutionEnvironment":
        return self.set_option("execution.checkpointing.interval", f"{int(interval_ms)}ms")

    def from_collection(
        self, collection: Iterable[Any], type_info: Optional[TypeInformation] = None
    ) -> "DataStream":
        """A bounded, non-parallel source of the given values."""
        from spate.datastream.data_stream import DataStream

        return DataStream(self, self._env.from_collection(list(collection)))

    def from_source(self, source: Any, watermark_strategy: Any = None,
                    source_name: str = "source") -> "DataStream":
        """A stream from a source of spate.datastream.connectors (NumberSequenceSource,
        FileSource, KafkaSource, Spec), with event time when the strategy has watermarks."""
        from spate.datastream.connectors import Source
        from spate.datastream.data_stream import DataStream

        if not isinstance(source, Source):
            raise TypeError(f"expected a source of spate.datastream.connectors, got "
                            f"{type(source).__name__}")
        stream = DataStream(self, self._env.from_spec(source._spec, source._numbers,
                                                      source._first))
        if watermark_strategy is not None and watermark_strategy._bound_ms is not None:
            stream = stream.assign_timestamps_and_watermarks(watermark_strategy)
        return stream

    def execute_async(self, job_name: str = "spate job") -> "JobClient":
        """Starts the job and returns its JobClient at once (status, savepoints, cancel)."""
        from spate.common.job_client import JobClient

        return JobClient(self._env.execute_async(job_name), job_name)

    def execute(self, job_name: str = "spate job") -> JobExecutionResult:
        """Runs the job built so far and blocks until it ends; raises
        JobFailedError when it fails. The environment can build another
        job afterwards."""
        status, cause, job_id, runtime_ms = self._env.execute(job_name)
        if status == "FAILED":
            raise JobFailedError(job_name, job_id, cause)
        if status != "FINISHED":
            raise JobFailedError(job_name, job_id, f"the job ended {status}")
        return JobExecutionResult(job_id, int(runtime_ms))


