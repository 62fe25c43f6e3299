"""Timing helpers shared by the runner and the baselines: per-call samples and their summary."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence

# the days on which every dyad is asked for (ours and the baselines alike)
WORLD_DAYS = ("1914-07-28", "1950-06-25", "1989-11-09", "2001-09-11", "2025-07-04")


def us(samples: Sequence[float]) -> dict[str, float]:
    """The median and the 99th percentile (nearest rank) of samples in microseconds."""
    ordered = sorted(samples)
    p99 = ordered[max(0, -(-99 * len(ordered) // 100) - 1)]  # nearest rank
    return {"median_us": round(statistics.median(ordered), 1), "p99_us": round(p99, 1)}


def time_each(
    call: Callable[[str, str, str], object],
    pairs: Sequence[tuple[str, str, str]],
    answers: list[object] | None = None,
) -> list[float]:
    """Microseconds per call, after a warm-up pass over the first pairs; keep the answers."""
    for actor, counterpart, day in pairs[:50]:
        call(actor, counterpart, day)
    clock = time.perf_counter_ns
    spent = []
    for actor, counterpart, day in pairs:
        started = clock()
        found = call(actor, counterpart, day)
        spent.append((clock() - started) / 1000)
        if answers is not None:
            answers.append(found)
    return spent
