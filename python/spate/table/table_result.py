"""PyFlink's ``TableResult``: what ``execute_sql`` returns."""

from __future__ import annotations

from collections import deque
from enum import Enum
from typing import Any, Deque, List, Optional

from spate.common.job_execution_result import JobFailedError
from spate.common.types import Row, RowKind


class ResultKind(Enum):
    SUCCESS = 0
    SUCCESS_WITH_CONTENT = 1


class JobClient:
    """The job an INSERT or a query started."""

    def __init__(self, handle: Any) -> None:
        self._handle = handle

    def get_job_id(self) -> str:
        return self._handle.job_id()

    def get_job_status(self) -> str:
        return self._handle.status()[0]

    def cancel(self) -> None:
        self._handle.cancel()


def _await_end(handle: Any, timeout_ms: Optional[int] = None) -> bool:
    """Waits for the job in steps (Ctrl-C cancels it and raises KeyboardInterrupt)."""
    import time

    deadline = None if timeout_ms is None else time.monotonic() + timeout_ms / 1000
    try:
        while True:
            if handle.wait_for(100):
                return True
            if deadline is not None and time.monotonic() >= deadline:
                return False
    except KeyboardInterrupt:
        handle.cancel()
        raise


class CloseableIterator:
    """A query's rows as they arrive, each a Row with its RowKind; ends when the job does.
    ``close()`` (or leaving a ``with`` block) cancels a job still running."""

    def __init__(self, handle: Any, names: List[str]) -> None:
        self._handle = handle
        self._names = names
        self._next = 0
        self._buffer: Deque[Row] = deque()
        self._closed = False

    def __iter__(self) -> "CloseableIterator":
        return self

    def __next__(self) -> Row:
        while not self._buffer:
            if self._closed:
                raise StopIteration
            ended = self._handle.wait_for(0)  # asked first: then every row is in
            self._take()
            if self._buffer:
                break
            if ended:
                self._closed = True
                _raise_if_failed(self._handle)
                raise StopIteration
            try:
                self._handle.wait_for(50)
            except KeyboardInterrupt:
                self.close()
                raise
        return self._buffer.popleft()

    def _take(self) -> None:
        for kind, values in self._handle.rows(self._next, False):
            row = Row(**dict(zip(self._names, values))) if len(set(self._names)) == len(
                self._names) else Row(*values)
            row.set_row_kind(RowKind.of_short_string(kind))
            self._buffer.append(row)
            self._next += 1

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            if not self._handle.wait_for(0):
                self._handle.cancel()

    def __enter__(self) -> "CloseableIterator":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _raise_if_failed(handle: Any) -> None:
    status, cause = handle.status()
    if status == "FAILED":
        raise JobFailedError("SQL", handle.job_id(), cause)


class TableResult:
    def __init__(self, handle: Any) -> None:
        self._handle = handle

    def get_job_client(self) -> Optional[JobClient]:
        return JobClient(self._handle) if self._handle.kind() == "job" else None

    def get_result_kind(self) -> ResultKind:
        return ResultKind.SUCCESS if self._handle.kind() == "ok" else \
            ResultKind.SUCCESS_WITH_CONTENT

    def get_column_names(self) -> List[str]:
        return self._handle.columns()

    def wait(self, timeout_ms: Optional[int] = None) -> None:
        """Waits for the job (if any) to end; raises JobFailedError when it failed."""
        if self._handle.kind() != "job":
            return
        if _await_end(self._handle, timeout_ms):
            _raise_if_failed(self._handle)

    def collect(self) -> CloseableIterator:
        if self._handle.kind() == "table":
            names = self._handle.columns()
            rows = [Row(*r) for r in self._handle.table_rows()]
            return _ListIterator(rows, names)
        return CloseableIterator(self._handle, self._handle.columns())

    def print(self) -> None:
        """Prints the result as Flink's tableau (``+----+``), a query's rows as they arrive with
        their kind in an ``op`` column; waits for the job."""
        kind = self._handle.kind()
        if kind == "ok":
            print("OK")
            return
        names = self._handle.columns()
        if kind == "table":
            _print_tableau(names, self._handle.table_rows())
            return
        if not names:  # an INSERT
            self.wait()
            return
        self.wait()
        rows = [[k] + list(vals) for k, vals in self._handle.rows(0, True)]
        _print_tableau(["op"] + names, rows)
        print(f"{len(rows)} row{'s' if len(rows) != 1 else ''} in set")


class _ListIterator(CloseableIterator):
    def __init__(self, rows: List[Row], names: List[str]) -> None:
        self._rows = iter(rows)
        self._closed = False

    def __next__(self) -> Row:
        return next(self._rows)

    def close(self) -> None:
        self._rows = iter(())


def _print_tableau(names: List[str], rows: List[List[Any]]) -> None:
    cells = [[str(c) for c in r] for r in rows]
    widths = [max([len(n)] + [len(r[i]) for r in cells]) for i, n in enumerate(names)]
    line = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    print(line)
    print("|" + "|".join(f" {n:>{w}} " for n, w in zip(names, widths)) + "|")
    print(line)
    for r in cells:
        print("|" + "|".join(f" {c:>{w}} " for c, w in zip(r, widths)) + "|")
    print(line)
