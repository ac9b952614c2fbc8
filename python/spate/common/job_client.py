"""PyFlink's ``JobClient`` for a job started with ``execute_async``."""

from __future__ import annotations

import atexit
import weakref
from enum import Enum
from typing import Any, Optional

from spate.common.job_execution_result import JobExecutionResult, JobFailedError


class JobStatus(Enum):
    CREATED = "CREATED"
    RUNNING = "RUNNING"
    FAILING = "FAILING"
    FAILED = "FAILED"
    CANCELLING = "CANCELLING"
    CANCELED = "CANCELED"
    FINISHED = "FINISHED"
    RESTARTING = "RESTARTING"
    SUSPENDED = "SUSPENDED"
    RECONCILING = "RECONCILING"

    def is_globally_terminal_state(self) -> bool:
        return self in (JobStatus.FAILED, JobStatus.CANCELED, JobStatus.FINISHED)


# Jobs started with execute_async that may still run: cancelled (and awaited) before the
# interpreter ends, so no task enters Python while it is being torn down.
_running: "weakref.WeakSet[Any]" = weakref.WeakSet()


@atexit.register
def _cancel_running_jobs() -> None:
    for native in list(_running):
        if not native.wait_for(0):
            native.cancel()
            native.wait_for(60_000)


class JobClient:
    def __init__(self, native: Any, job_name: str) -> None:
        self._native = native
        self._job_name = job_name
        _running.add(native)

    def get_job_id(self) -> str:
        return self._native.job_id()

    def get_job_status(self) -> JobStatus:
        return JobStatus(self._native.status())

    def cancel(self) -> None:
        """Asks the job to stop; ``get_job_execution_result`` then waits for CANCELED."""
        self._native.cancel()

    def trigger_savepoint(self, savepoint_directory: Optional[str] = None) -> str:
        """Takes a savepoint (state.savepoints.dir when no directory is given); its path."""
        return self._native.trigger_savepoint(savepoint_directory or "")

    def stop_with_savepoint(self, advance_to_end_of_event_time: bool = False,
                            savepoint_directory: Optional[str] = None) -> str:
        """Takes a savepoint and finishes the job (draining its windows when asked); the
        savepoint's path. The sinks commit what the savepoint covers."""
        return self._native.stop_with_savepoint(savepoint_directory or "",
                                                advance_to_end_of_event_time)

    def get_job_execution_result(self) -> JobExecutionResult:
        """Waits for the job to end; raises JobFailedError when it failed."""
        try:
            while not self._native.wait_for(100):
                pass
        except KeyboardInterrupt:
            self.cancel()
            raise
        status, cause, runtime_ms = self._native.result()
        if status == "FAILED":
            raise JobFailedError(self._job_name, self.get_job_id(), cause)
        return JobExecutionResult(self.get_job_id(), int(runtime_ms))
