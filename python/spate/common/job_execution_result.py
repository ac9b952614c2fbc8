"""What a finished job reports (PyFlink's ``JobExecutionResult``)."""

from __future__ import annotations


class JobFailedError(RuntimeError):
    """A job that ended FAILED; the message is its cause (with the Python
    traceback when a Python function raised)."""

    def __init__(self, job_name: str, job_id: str, cause: str) -> None:
        super().__init__(f"job '{job_name}' ({job_id}) failed: {cause}")
        self.job_name = job_name
        self.job_id = job_id
        self.cause = cause


class JobExecutionResult:
    """The job's id and how long it ran."""

    def __init__(self, job_id: str, net_runtime_ms: int) -> None:
        self._job_id = job_id
        self._net_runtime_ms = net_runtime_ms

    def get_job_id(self) -> str:
        return self._job_id

    def get_net_runtime(self) -> int:
        """Milliseconds from start to end."""
        return self._net_runtime_ms

    def __repr__(self) -> str:
        return f"JobExecutionResult(job_id={self._job_id!r}, net_runtime={self._net_runtime_ms} ms)"
