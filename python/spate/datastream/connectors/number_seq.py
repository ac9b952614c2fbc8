"""PyFlink's ``NumberSequenceSource``: the numbers from ``start`` to ``end``, split over the
subtasks, positions in checkpoints."""

from __future__ import annotations

from typing import Optional

from spate.datastream.connectors import Source


class NumberSequenceSource(Source):
    def __init__(self, start: int, end: int, rate: Optional[float] = None) -> None:
        """``rate``: numbers per second over all subtasks (spate's; unpaced by default)."""
        if end < start:
            raise ValueError(f"NumberSequenceSource: end {end} is before start {start}")
        spec = f"generator:count={end - start + 1}"
        if rate:
            spec += f",rate={rate}"
        super().__init__(spec, numbers=True, first=start)
