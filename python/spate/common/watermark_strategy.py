"""PyFlink's ``WatermarkStrategy`` and ``TimestampAssigner``."""

from __future__ import annotations

from typing import Any, Callable, Optional, Union

from spate.common.time import Duration


class TimestampAssigner:
    """Gives each record its event time in ms: override ``extract_timestamp``."""

    def extract_timestamp(self, value: Any, record_timestamp: Optional[int]) -> int:
        raise NotImplementedError


class WatermarkStrategy:
    """How a stream gets event timestamps and watermarks: watermarks trail the largest
    timestamp seen by the out-of-orderness bound."""

    def __init__(self, bound_ms: Optional[int], assigner: Any = None,
                 idle_ms: Optional[int] = None) -> None:
        self._bound_ms = bound_ms  # None: no watermarks
        self._assigner = assigner
        self._idle_ms = idle_ms

    @staticmethod
    def for_monotonous_timestamps() -> "WatermarkStrategy":
        return WatermarkStrategy(0)

    @staticmethod
    def for_bounded_out_of_orderness(max_out_of_orderness: Duration) -> "WatermarkStrategy":
        return WatermarkStrategy(max_out_of_orderness.to_milliseconds())

    @staticmethod
    def no_watermarks() -> "WatermarkStrategy":
        return WatermarkStrategy(None)

    def with_timestamp_assigner(self, timestamp_assigner: Union[TimestampAssigner, Callable]
                                ) -> "WatermarkStrategy":
        if isinstance(timestamp_assigner, TimestampAssigner):
            f = timestamp_assigner.extract_timestamp
        elif callable(timestamp_assigner):
            f = timestamp_assigner
        else:
            raise TypeError("expected a TimestampAssigner or a callable (value, record_timestamp)")
        return WatermarkStrategy(self._bound_ms, f, self._idle_ms)

    def with_idleness(self, idle_timeout: Duration) -> "WatermarkStrategy":
        return WatermarkStrategy(self._bound_ms, self._assigner, idle_timeout.to_milliseconds())
