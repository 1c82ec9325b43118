"""Paired A/B measurement: the two sides timed in turns, in one process.

Every figure is taken twice per call, in thread CPU time
(``time.thread_time_ns``: what this thread ran, whatever else the shared
machine was doing) and on the wall clock (``time.perf_counter_ns``: what a
user waits, waiting on the provider and on neighbours included).

Within a round the two sides take turns call by call (A B, B A, A B...),
so both meet the same moments on the machine; each round keeps each side's
median call. Across rounds, the headline of a comparison is the median of
the paired differences (with - without), round by round, with a
distribution-free 95 % confidence interval, beside each side's median and
interquartile range.
"""

from __future__ import annotations

import gc
import math
import statistics
import time
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass

WITHOUT = "without"
WITH = "with"
CPU = "cpu"
WALL = "wall"


@dataclass(frozen=True)
class Sample:
    """One timed call, in microseconds."""

    cpu: float
    wall: float


#: One call of one side: does its untimed preparation, then times its own
#: work with a :class:`Stopwatch` and returns the :class:`Sample`.
Measurement = Callable[[], Sample]


class Stopwatch:
    """Times a block in thread CPU time and wall-clock time::

    with Stopwatch() as watch:
        work()
    watch.sample
    """

    sample: Sample

    def __enter__(self) -> Stopwatch:
        self._cpu = time.thread_time_ns()
        self._wall = time.perf_counter_ns()
        return self

    def __exit__(self, *exc: object) -> None:
        wall = time.perf_counter_ns() - self._wall
        cpu = time.thread_time_ns() - self._cpu
        self.sample = Sample(cpu / 1e3, wall / 1e3)


@dataclass
class Rounds:
    """Each side's median call per round, in CPU and wall time (µs)."""

    cpu: dict[str, list[float]]
    wall: dict[str, list[float]]
    calls: int

    def paired(self, clock: str, a: str = WITHOUT, b: str = WITH) -> Paired:
        """Sides ``a`` and ``b`` on ``clock`` (``cpu`` or ``wall``)."""
        figures = self.cpu if clock == CPU else self.wall
        return Paired(figures[a], figures[b])

    def single(self, clock: str, side: str) -> Spread:
        """One side on ``clock``."""
        figures = self.cpu if clock == CPU else self.wall
        return Spread(figures[side])


def alternating(
    sides: Mapping[str, Measurement], rounds: int, calls: int, warmup: int = 0
) -> Rounds:
    """Per round, call the sides in turn, ``calls`` times each, and keep
    each side's median call of the round.

    The turns go A B, B A, A B, ...: both sides of a round share the same
    moments on the machine, to the call. The cyclic garbage collector is
    collected before each round and paused inside it, so that a collection
    lands on neither side.

    :param sides: one measurement per side.
    :param rounds: how many medians to take per side.
    :param calls: calls per side per round.
    :param warmup: calls per side before the first round, not kept.
    """
    names = list(sides)
    for _ in range(warmup):
        for name in names:
            sides[name]()
    cpu: dict[str, list[float]] = {name: [] for name in names}
    wall: dict[str, list[float]] = {name: [] for name in names}
    for round_number in range(rounds):
        samples: dict[str, list[Sample]] = {name: [] for name in names}
        with collector_paused():
            for call in range(calls):
                order = names if (round_number + call) % 2 == 0 else names[::-1]
                for name in order:
                    samples[name].append(sides[name]())
        for name in names:
            cpu[name].append(statistics.median(s.cpu for s in samples[name]))
            wall[name].append(statistics.median(s.wall for s in samples[name]))
    return Rounds(cpu, wall, calls)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Collect now, then keep the cyclic garbage collector off for the
    block."""
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass
class Spread:
    """One side's per-round figures."""

    values: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def iqr(self) -> tuple[float, float]:
        """The first and third quartiles."""
        return quartiles(self.values)


@dataclass
class Paired:
    """Figures of the two sides over the same rounds.

    :param without: the bare side's figure in each round.
    :param with_: the wrapped side's figure in each round.
    """

    without: list[float]
    with_: list[float]

    @property
    def median_without(self) -> float:
        """The bare side's median over rounds."""
        return statistics.median(self.without)

    @property
    def median_with(self) -> float:
        """The wrapped side's median over rounds."""
        return statistics.median(self.with_)

    @property
    def differences(self) -> list[float]:
        """with - without, round by round."""
        return [w - o for o, w in zip(self.without, self.with_, strict=True)]

    @property
    def difference(self) -> float:
        """The median of the paired differences."""
        return statistics.median(self.differences)

    @property
    def difference_interval(self) -> tuple[float, float]:
        """The 95 % confidence interval of :attr:`difference`."""
        return median_interval(self.differences)

    @property
    def ratio(self) -> float:
        """The median of the paired ratios, with / without."""
        return statistics.median(
            w / o for o, w in zip(self.without, self.with_, strict=True)
        )


def quartiles(values: list[float]) -> tuple[float, float]:
    """The first and third quartiles of ``values`` (the whole range for
    fewer than two)."""
    if len(values) < 2:
        return min(values), max(values)
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q3


def median_interval(
    values: list[float], confidence: float = 0.95
) -> tuple[float, float]:
    """A distribution-free confidence interval for the median of ``values``.

    The interval between the k-th smallest and the k-th largest value holds
    the median with the binomial probability of fewer than k values falling
    on either side of it; k is the largest with at least ``confidence``.
    With too few values for that, the whole range.

    :param values: independent figures, e.g. the differences of paired
        rounds.
    :param confidence: the coverage wanted.
    """
    ordered = sorted(values)
    n = len(ordered)
    k, below = 0, 0.0
    while k < n // 2:
        below += math.comb(n, k) / 2**n
        if 1 - 2 * below < confidence:
            break
        k += 1
    if k == 0:
        return ordered[0], ordered[-1]
    return ordered[k - 1], ordered[n - k]
