"""How the cost per event grows with the log: two `tracker bench run --json` results compared."""

from __future__ import annotations

from typing import Any

LINEAR = 1.25  # the larger log may cost at most this much more per event
MEMORY_MB = 300


def scale_rows(small: dict[str, Any], large: dict[str, Any]) -> list[dict[str, Any]]:
    """For load and rebuild: microseconds per event at each size, their ratio, and whether it is
    within LINEAR; then the larger run's peak memory of each against MEMORY_MB."""
    sizes = (_events(small), _events(large))
    rows = []
    for phase in ("load", "rebuild"):
        costs = [_us_per_event(result, phase) for result in (small, large)]
        ratio = round(costs[1] / costs[0], 2) if costs[0] and costs[1] else None
        rows.append(
            {
                "measure": f"{phase}: µs per event",
                "small": costs[0],
                "large": costs[1],
                "ratio": ratio,
                "target": f"≤ {LINEAR}x",
                "met": None if ratio is None else ratio <= LINEAR,
            }
        )
    for phase in ("load", "rebuild"):
        peak = large.get(phase, {}).get("peak_rss_mb")
        rows.append(
            {
                "measure": f"{phase}: peak RSS (MB) at {sizes[1]:,} events",
                "small": small.get(phase, {}).get("peak_rss_mb"),
                "large": peak,
                "ratio": None,
                "target": f"< {MEMORY_MB} MB",
                "met": None if peak is None else peak < MEMORY_MB,
            }
        )
    return rows


def _events(result: dict[str, Any]) -> int:
    return int(result.get("meta", {}).get("events") or 0)


def _us_per_event(result: dict[str, Any], phase: str) -> float | None:
    figures = result.get(phase, {})
    seconds, events = figures.get("seconds"), figures.get("events")
    if not seconds or not events:
        return None
    return round(float(seconds) / float(events) * 1e6, 2)
