"""A deterministic synthetic world: the JSON Lines ledger `tracker bench generate` writes.

`world_lines(events, seed)` streams a valid ledger (entities first, then events in roughly
chronological order) drawn from `random.Random(seed)` alone: the same seed gives the same bytes.
Its shape is described in the README (Benchmark, "The synthetic world").
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import json
import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HEAVY = 10  # dyads that get thousands of events at 1,000,000
STATES = 200  # actors: the first 200 of pycountry's sorted ISO alpha-3 codes
GOVERNMENTS = 30  # declared entities GOV_001..; with ORG_001.. they make 250 counterparts
ORGANIZATIONS = 20
FIRST_DAY = dt.date(1900, 1, 1).toordinal()
LAST_DAY = dt.date(2025, 12, 31).toordinal()
CHUNK = 10_000  # dyad draws per rng.choices call (part of the stream's definition)

# event type -> weights toward (a state, a government, an organization): 12 types
WEIGHTS: dict[str, tuple[int, int, int]] = {
    "statement_made": (22, 20, 30),
    "cooperation_agreed": (12, 8, 25),
    "envoy_sent": (10, 8, 5),
    "credentials_accepted": (9, 5, 0),
    "envoy_recalled": (6, 4, 5),
    "relations_established": (8, 6, 0),
    "relations_severed": (3, 4, 0),
    "recognition_granted": (8, 15, 0),
    "recognition_withdrawn": (2, 5, 0),
    "sanctions_imposed": (9, 10, 10),
    "sanctions_lifted": (5, 5, 5),
    "designation_added": (6, 10, 20),
}
_LEVELS = ("ambassador",) * 6 + ("charge_d_affaires",) * 2 + ("minister", "other")
_MEASURES = ("asset_freeze", "arms_embargo", "travel_ban", "export_controls", "trade_restrictions")
# the type's own field and the values drawn for it (a repeated value is drawn more often)
FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "statement_made": ("stance", ("partner", "ally", "neutral", "rival", "adversary")),
    "cooperation_agreed": ("area", ("trade", "energy", "security", "health", "climate")),
    "envoy_sent": ("level", _LEVELS),
    "credentials_accepted": ("level", _LEVELS),
    "sanctions_imposed": ("measure", _MEASURES),
    "sanctions_lifted": ("measure", _MEASURES),
    "designation_added": ("designation", ("terrorist_organizations", "watch_list")),
}
PUBLISHERS = ("Reuters", "AFP", "AP", "TASS", "Xinhua", "BBC Monitoring", "Al Jazeera", "Kyodo")


def states() -> list[str]:
    """The actors: the first STATES ISO 3166-1 alpha-3 codes, sorted."""
    import pycountry

    return sorted(c.alpha_3 for c in pycountry.countries)[:STATES]


def _entities() -> list[tuple[str, str]]:
    return [(f"GOV_{i:03d}", "government") for i in range(1, GOVERNMENTS + 1)] + [
        (f"ORG_{i:03d}", "organization") for i in range(1, ORGANIZATIONS + 1)
    ]


def _dyads(
    rng: random.Random, events: int, actors: list[str], counterparts: list[tuple[str, str]]
) -> tuple[list[tuple[str, str, int]], list[float]]:
    """The dyads in play, (actor, counterpart, kind index), and their cumulative weights.

    About one dyad per 20 events (all pairs at 1,000,000): the light ones lognormal (most get a
    handful), the HEAVY first ones sharing a fixed part of the log (thousands each at 1M).
    """
    width = len(counterparts)
    pairs = [p for p in range(len(actors) * width) if p // width != p % width]
    chosen = rng.sample(pairs, min(len(pairs), max(50, events // 20)))
    states_first = sorted(chosen, key=lambda p: counterparts[p % width][1] != "state")
    heavy = states_first[:HEAVY]
    excluded = set(heavy)
    light = [p for p in chosen if p not in excluded]
    share = min(0.25, max(0.04, 500 / max(events, 1)))
    shares = [rng.uniform(1.0, 3.0) for _ in heavy]
    weights = [rng.lognormvariate(0.0, 1.4) for _ in light]
    scale_heavy = share / sum(shares)
    scale_light = (1 - share) / sum(weights)
    kinds = {"state": 0, "government": 1, "organization": 2}
    dyads, cum, total = [], [], 0.0
    for p, w in [
        *zip(heavy, (s * scale_heavy for s in shares), strict=True),
        *zip(light, (w * scale_light for w in weights), strict=True),
    ]:
        counterpart, kind = counterparts[p % width]
        dyads.append((actors[p // width], counterpart, kinds[kind]))
        total += w
        cum.append(total)
    return dyads, cum


def _on(rng: random.Random, day: dt.date) -> str:
    """The valid time as a source might give it: mostly a day, else a month, year or interval."""
    r = rng.random()
    text = day.isoformat()
    if r < 0.85:
        return text
    if r < 0.93:
        return text[:7]
    if r < 0.97:
        return text[:4]
    if r < 0.99:
        start = dt.date.fromordinal(max(FIRST_DAY, day.toordinal() - 7 - int(rng.random() * 359)))
        return f"{start.isoformat()}/{text}"
    return f"../{text}" if rng.random() < 2 / 3 else f"{text}/.."


def world_lines(events: int, seed: int) -> Iterator[str]:
    """The lines of a synthetic ledger of `events` events, the same for the same seed."""
    rng = random.Random(seed)
    actors = states()
    declared = _entities()
    for entity_id, kind in declared:
        name = f"Synthetic {kind} {entity_id[-3:]}"
        yield json.dumps({"entity": {"id": entity_id, "name": name, "kind": kind}}) + "\n"
    counterparts = [(a, "state") for a in actors] + declared
    dyads, cum = _dyads(rng, events, actors, counterparts)
    names = list(WEIGHTS)
    type_cums = [list(itertools.accumulate(WEIGHTS[n][k] for n in names)) for k in range(3)]
    span = LAST_DAY - FIRST_DAY
    picks: list[int] = []
    for i in range(events):
        if i % CHUNK == 0:
            picks = rng.choices(range(len(dyads)), cum_weights=cum, k=min(CHUNK, events - i))
        actor, counterpart, column = dyads[picks[i % CHUNK]]
        acc = type_cums[column]
        name = names[bisect.bisect_right(acc, rng.random() * acc[-1])]
        # denser toward the present: the density of dates grows linearly over 1900-2025
        day = dt.date.fromordinal(FIRST_DAY + int(span * ((i + rng.random()) / events) ** 0.5))
        reported = day.isoformat()
        publisher = PUBLISHERS[int(rng.random() * len(PUBLISHERS))]
        extra = ""
        if name in FIELDS:
            field, values = FIELDS[name]
            extra = f', "{field}": "{values[int(rng.random() * len(values))]}"'
        # written by hand for speed: every value is plain ASCII without quotes or backslashes
        yield (
            f'{{"type": "{name}", "actor": "{actor}", "counterpart": "{counterpart}", '
            f'"on": "{_on(rng, day)}", "sources": [{{"title": "Synthetic dispatch no. {i + 1}", '
            f'"publisher": "{publisher}", "date": "{reported}", '
            f'"locator": "para. {1 + int(rng.random() * 12)}"}}], '
            f'"recorded": "{reported}T00:00:00Z"{extra}}}\n'
        )


def generate(path: str | Path, events: int, seed: int) -> dict[str, Any]:
    """Write the synthetic ledger to `path` (streamed); return its size and the time taken."""
    started = time.perf_counter()
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        out.writelines(world_lines(events, seed))
    seconds = time.perf_counter() - started
    return {
        "events": events,
        "seed": seed,
        "bytes": Path(path).stat().st_size,
        "seconds": seconds,
        "events_per_s": events / seconds if seconds else None,
    }
