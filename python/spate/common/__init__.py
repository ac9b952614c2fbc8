"""Types shared by the APIs (PyFlink's ``pyflink.common``)."""

from spate.common.job_execution_result import JobExecutionResult, JobFailedError
from spate.common.typeinfo import Types

__all__ = ["JobExecutionResult", "JobFailedError", "Types"]
