"""Types shared by the APIs (PyFlink's ``pyflink.common``)."""

from spate.common.job_execution_result import JobExecutionResult, JobFailedError
from spate.common.typeinfo import Types
from spate.common.types import Row, RowKind

__all__ = ["JobExecutionResult", "JobFailedError", "Row", "RowKind", "Types"]
