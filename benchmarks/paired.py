"""Paired A/B rounds: the two sides measured back to back, many times.

Drift on the machine (another process waking up, the CPU clocking down)
moves both halves of a pair alike, so the ratio within a pair is steadier
than either side's figure; the median of those ratios is the headline.
"""

from __future__ import annotations

import gc
import math
import statistics
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass

WITHOUT = "without"
WITH = "with"


def interleaved(
    sides: Mapping[str, Callable[[], float]], rounds: int
) -> dict[str, list[float]]:
    """Run each side once per round, alternating which goes first.

    :param sides: one measurement per side, each returning one figure.
    :param rounds: how many times to run each side.
    :return: each side's figures, in round order.
    """
    results: dict[str, list[float]] = {name: [] for name in sides}
    names = list(sides)
    for round_number in range(rounds):
        order = names if round_number % 2 == 0 else names[::-1]
        for name in order:
            results[name].append(sides[name]())
    return results


def alternating(
    sides: Mapping[str, Callable[[], float]], rounds: int, calls: int
) -> dict[str, list[float]]:
    """Per round, call the sides in turn, ``calls`` times each, and keep
    each side's median of the round.

    The turns go A B, B A, A B, ...: both sides of a round share the same
    moments on the machine, to the call, for measurements long enough
    (milliseconds) that switching between the sides costs nothing.

    :param sides: one call per side, each returning its time.
    :param rounds: how many medians to take per side.
    :param calls: calls per side per round.
    :return: each side's medians, in round order.
    """
    names = list(sides)
    results: dict[str, list[float]] = {name: [] for name in names}
    for round_number in range(rounds):
        timings: dict[str, list[float]] = {name: [] for name in names}
        with collector_paused():
            for call in range(calls):
                turn = (round_number + call) % 2
                for name in names if turn == 0 else names[::-1]:
                    timings[name].append(sides[name]())
        for name in names:
            results[name].append(statistics.median(timings[name]))
    return results


@contextmanager
def collector_paused() -> Iterator[None]:
    """Collect now, then keep the cyclic garbage collector off for the
    block, so that a collection cannot land inside one side's timings."""
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass
class Paired:
    """Figures of the two sides over the same rounds.

    :param without: the bare side's figure in each round.
    :param with_: the wrapped side's figure in each round.
    """

    without: list[float]
    with_: list[float]

    @classmethod
    def of(cls, results: dict[str, list[float]]) -> Paired:
        """From the result of :func:`interleaved` over ``without`` and ``with``."""
        return cls(results[WITHOUT], results[WITH])

    @property
    def median_without(self) -> float:
        """The bare side's median over rounds."""
        return statistics.median(self.without)

    @property
    def median_with(self) -> float:
        """The wrapped side's median over rounds."""
        return statistics.median(self.with_)

    @property
    def ratios(self) -> list[float]:
        """with / without, round by round."""
        return [w / o for o, w in zip(self.without, self.with_, strict=True)]

    @property
    def differences(self) -> list[float]:
        """with - without, round by round."""
        return [w - o for o, w in zip(self.without, self.with_, strict=True)]

    @property
    def ratio(self) -> float:
        """The median of the paired ratios."""
        return statistics.median(self.ratios)

    @property
    def difference(self) -> float:
        """The median of the paired differences."""
        return statistics.median(self.differences)

    @property
    def ratio_interval(self) -> tuple[float, float]:
        """The 95 % confidence interval of :attr:`ratio`."""
        return median_interval(self.ratios)

    @property
    def difference_interval(self) -> tuple[float, float]:
        """The 95 % confidence interval of :attr:`difference`."""
        return median_interval(self.differences)


def median_interval(
    values: list[float], confidence: float = 0.95
) -> tuple[float, float]:
    """A distribution-free confidence interval for the median of ``values``.

    The interval between the k-th smallest and the k-th largest value holds
    the median with the binomial probability of fewer than k values falling
    on either side of it; k is the largest with at least ``confidence``.
    With too few values for that, the whole range.

    :param values: independent figures, e.g. the ratios of paired rounds.
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
