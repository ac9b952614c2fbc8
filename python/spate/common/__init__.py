"""Types shared by the APIs (PyFlink's ``pyflink.common``)."""

from spate.common.job_client import JobClient, JobStatus
from spate.common.job_execution_result import JobExecutionResult, JobFailedError
from spate.common.time import Duration, Time
from spate.common.typeinfo import Types
from spate.common.types import Row, RowKind
from spate.common.watermark_strategy import TimestampAssigner, WatermarkStrategy

__all__ = ["Duration", "JobClient", "JobExecutionResult", "JobFailedError", "JobStatus", "Row",
           "RowKind", "Time", "TimestampAssigner", "Types", "WatermarkStrategy"]
