"""The time axis of the report's chart: readable for a drill over in a second and a crisis of two weeks.

A linear axis gives the first hour of a four-day incident (where most targets fall) ten
pixels. This one is logarithmic past a unit of a third of the smallest target: what happens
within the targets' window gets most of the width, the days after are compressed, and the
whole incident and every target always fit. With no targets, the unit is a third of the
incident, which is close to linear.
"""

from __future__ import annotations

from math import log1p

from crisisplay.metrics import Metrics

MIN_END_MS = 1000
# Round moments for the ticks, the roundest first: a tick is kept only where it has room.
_S, _M, _H, _D = 1000, 60_000, 3_600_000, 86_400_000
NICE_MS = (
    _M,
    _H,
    _D,
    7 * _D,
    _S,
    10 * _M,
    6 * _H,
    2 * _D,
    10 * _S,
    30 * _M,
    12 * _H,
    30 * _S,
    5 * _M,
    15 * _M,
    2 * _H,
    3 * _H,
    4 * _D,
    14 * _D,
    100,
    500,
    5 * _S,
    15 * _S,
    2 * _M,
    4 * _H,
    3 * _D,
    250,
    2 * _S,
)
TICK_GAP = 0.16  # of the width between two tick labels: room for `+12h` 320 px wide, and in print


class TimeScale:
    """Time since detection (ms) → a fraction of the chart's width, 0 to 1."""

    def __init__(self, end_ms: int, unit_ms: float):
        self.end_ms = max(end_ms, MIN_END_MS)
        self.unit_ms = min(max(unit_ms, self.end_ms / 1e6), self.end_ms / 3)
        self._span = log1p(self.end_ms / self.unit_ms)

    def __call__(self, elapsed_ms: float) -> float:
        return min(1.0, log1p(max(elapsed_ms, 0) / self.unit_ms) / self._span)

    def ticks(self, gap: float = TICK_GAP, keep: tuple[int, ...] = (0,)) -> list[int]:
        """`keep`, then the roundest moments that leave `gap` between neighbours, in time order.

        Finer ticks for a wider chart keep the coarser ones: `ticks(0.08, keep=ticks())`.
        """
        chosen = list(keep)
        for ms in NICE_MS:
            if ms <= self.end_ms and all(abs(self(ms) - self(c)) >= gap for c in chosen):
                chosen.append(ms)
        return sorted(chosen)


def scale_of(metrics: Metrics) -> TimeScale:
    """The scale of one incident: up to its end or its last target, zoomed on its targets."""
    targets = metrics.targets
    goals = [t.target_ms for t in targets if t.target_ms]
    reached = [t.elapsed_ms for t in targets if t.elapsed_ms is not None]
    end = max([metrics.duration_ms, *goals, *reached, MIN_END_MS])
    return TimeScale(end, (min(goals) if goals else end) / 3)
