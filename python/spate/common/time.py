"""PyFlink's ``Duration`` (``pyflink.common.time``)."""

from __future__ import annotations


class Duration:
    def __init__(self, millis: int) -> None:
        if millis < 0:
            raise ValueError(f"a Duration cannot be negative, got {millis} ms")
        self._millis = int(millis)

    @staticmethod
    def of_millis(millis: int) -> "Duration":
        return Duration(millis)

    @staticmethod
    def of_seconds(seconds: int) -> "Duration":
        return Duration(seconds * 1000)

    @staticmethod
    def of_minutes(minutes: int) -> "Duration":
        return Duration(minutes * 60_000)

    @staticmethod
    def of_hours(hours: int) -> "Duration":
        return Duration(hours * 3_600_000)

    def to_milliseconds(self) -> int:
        return self._millis

    def __repr__(self) -> str:
        return f"Duration({self._millis} ms)"


class Time:
    """PyFlink 1.x's window sizes (``Time.seconds(10)``)."""

    def __init__(self, millis: int) -> None:
        self._millis = int(millis)

    @staticmethod
    def milliseconds(n: int) -> "Time":
        return Time(n)

    @staticmethod
    def seconds(n: int) -> "Time":
        return Time(n * 1000)

    @staticmethod
    def minutes(n: int) -> "Time":
        return Time(n * 60_000)

    @staticmethod
    def hours(n: int) -> "Time":
        return Time(n * 3_600_000)

    @staticmethod
    def days(n: int) -> "Time":
        return Time(n * 86_400_000)

    def to_milliseconds(self) -> int:
        return self._millis
