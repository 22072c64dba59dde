"""Timing runs in rotated rounds: each round runs every way once, the order rotated by one
so that no way always goes first (and finds the caches cold), every run checked to change
nothing; the median of each way's times is what a benchmark prints."""

from __future__ import annotations

import statistics
import time
from typing import Callable, Dict, List


def rotated_medians(runs: Dict[str, Callable[[], bool]], rounds: int) -> Dict[str, float]:
    """The median seconds of each run (by name) over ``rounds`` rotated rounds; a run
    returns whether it changed something, which is a failure here."""
    times: Dict[str, List[float]] = {name: [] for name in runs}
    names = list(runs)
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            t0 = time.perf_counter()
            changed = runs[name]()
            times[name].append(time.perf_counter() - t0)
            assert changed is False, f"{name} changed something"
    return {name: statistics.median(t) for name, t in times.items()}


def print_ratios(medians: Dict[str, float], base: str, width: int, against: str) -> None:
    """One line per way: its median and its ratio to the median of ``base``."""
    for name, median in medians.items():
        print(f"  {name:{width}} {median:6.2f} s   {median / medians[base]:5.1f}x {against}")
