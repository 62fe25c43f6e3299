"""Answers as flat rows: the columns of `--csv`, `--tsv` and `--nl`, and of `to_frame()`.

Each kind of answer has its rows (one per dimension of a state, per actor of `who`, per
candidate of `first`, per event of a history, per change of a replay, per difference of a
scenario) with documented columns. Dates as precise as their sources keep their text (`on`,
`since`) beside the window they stand for (`*_earliest`, `*_latest`: real days, empty where
the window is open, never a sentinel year). Set values are sorted lists.

`frame` turns rows into a pandas DataFrame (the `pandas` extra, imported only here and only
then): day columns become datetime64 (seconds, so that any year 1-9999 fits), `recorded`
a UTC timestamp.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import attrs

from . import dates
from .reducers import encode

Row = dict[str, Any]


@attrs.frozen
class Table:
    """Rows with their columns, and which columns hold days or timestamps."""

    columns: tuple[str, ...]
    rows: Iterable[Row]
    days: frozenset[str] = frozenset()
    times: frozenset[str] = frozenset()
    choices: frozenset[str] = frozenset()  # lists of possible values, not a set's members


def window(text: str | None) -> tuple[str | None, str | None]:
    """The first and last day a date stands for; None for an open end (or no date)."""
    if not text:
        return None, None
    found = dates.parse(text)
    earliest = None if found.earliest == dates.OPEN_START else found.earliest
    latest = None if found.latest == dates.OPEN_END else found.latest
    return earliest, latest


def _dated(name: str, text: str | None) -> Row:
    earliest, latest = window(text)
    return {name: text, f"{name}_earliest": earliest, f"{name}_latest": latest}


def _evidence(record: Any) -> str:
    return "machine" if record.machine_coded else "curated"


_STATE = (
    *("actor", "counterpart", "on", "exists", "dimension", "value", "since"),
    *("since_earliest", "since_latest", "uncertain", "possible", "events", "machine_coded"),
)


def state_rows(result: Any) -> Table:
    """One row per dimension of a state answer."""
    rows = [
        {
            "actor": result.actor,
            "counterpart": result.counterpart,
            "on": result.on,
            "exists": result.exists,
            "dimension": name,
            "value": encode(ans.value),
            **_dated("since", ans.since),
            "uncertain": ans.uncertain,
            "possible": [encode(v) for v in ans.possible],
            "events": list(ans.events),
            "machine_coded": ans.machine_coded,
        }
        for name, ans in result.dimensions.items()
    ]
    days = frozenset({"on", "since_earliest", "since_latest"})
    return Table(_STATE, rows, days, choices=frozenset({"possible"}))


def who_rows(result: Any) -> Table:
    """One row per actor listed by `who`: settled or uncertain."""
    coded = set(result.machine_coded)
    rows = [
        {
            "counterpart": result.counterpart,
            "on": result.on,
            "actor": actor,
            "match": match,
            "machine_coded": actor in coded,
        }
        for match, actors in (("settled", result.actors), ("uncertain", result.uncertain))
        for actor in actors
    ]
    columns = ("counterpart", "on", "actor", "match", "machine_coded")
    return Table(columns, rows, frozenset({"on"}))


_FIRST = (
    *("counterpart", "after", "actor", "on", "on_earliest", "on_latest", "event", "settled"),
    *("possible_from", "machine_coded", "order_known"),
)


def first_rows(result: Any) -> Table:
    """One row per actor that was, or may have been, first."""
    rows = [
        {
            "counterpart": result.counterpart,
            "after": None if result.after == dates.OPEN_START else result.after,
            "actor": c.actor,
            **_dated("on", c.on),
            "event": c.event,
            "settled": c.settled,
            "possible_from": None if c.possible_from == dates.OPEN_START else c.possible_from,
            "machine_coded": c.machine_coded,
            "order_known": result.order_known,
        }
        for c in result.candidates
    ]
    days = {"after", "on_earliest", "on_latest", "settled", "possible_from"}
    return Table(_FIRST, rows, frozenset(days))


_DETAILS = ("summary", "killed", "casualties", "stance")
_HISTORY = (
    *("id", "type", "actor", "counterpart", "on", "on_earliest", "on_latest", "recorded"),
    *("evidence", "changes", *_DETAILS, "retracted_by", "outside_lifespan", "sources"),
)


def history_rows(entries: Iterable[Any]) -> Table:
    """One row per event of a history, streamed."""

    def rows() -> Iterator[Row]:
        for entry in entries:
            data = entry.to_json()
            yield {
                **{k: data[k] for k in ("id", "type", "actor", "counterpart")},
                **_dated("on", data["on"]),
                **{k: data[k] for k in _HISTORY[7:]},
            }

    return Table(_HISTORY, rows(), frozenset({"on_earliest", "on_latest"}), frozenset({"recorded"}))


_REPLAY = (
    *("on", "earliest", "latest", "actor", "counterpart", "dimension", "before", "after"),
    *("event", "type", "evidence", "hypothetical", *_DETAILS, "sources"),
)


def replay_rows(items: Iterable[dict[str, Any]]) -> Table:
    """One row per change of a replay (the JSON of each, as `replay_json` gives it)."""

    def rows() -> Iterator[Row]:
        for data in items:
            yield {k: data.get(k) for k in _REPLAY}

    return Table(_REPLAY, rows(), frozenset({"earliest", "latest"}))


_SCENARIO = (
    *("scenario", "on", "actor", "counterpart", "dimension"),
    *("baseline", "baseline_uncertain", "baseline_possible"),
    *("scenario_value", "scenario_uncertain", "scenario_possible", "events"),
)


def scenario_rows(result: Any) -> Table:
    """One row per (date, dyad, dimension) where a scenario differs from the baseline."""
    rows = [
        {
            "scenario": result.name,
            "on": day,
            "actor": d.dyad[0],
            "counterpart": d.dyad[1],
            "dimension": d.dimension,
            "baseline": encode(d.baseline.value),
            "baseline_uncertain": d.baseline.uncertain,
            "baseline_possible": [encode(v) for v in d.baseline.possible],
            "scenario_value": encode(d.scenario.value),
            "scenario_uncertain": d.scenario.uncertain,
            "scenario_possible": [encode(v) for v in d.scenario.possible],
            "events": list(d.events),
        }
        for day, diffs in result.dates.items()
        for d in diffs
    ]
    choices = frozenset({"baseline_possible", "scenario_possible"})
    return Table(_SCENARIO, rows, frozenset({"on"}), choices=choices)


def entity_rows(entities: Iterable[Any]) -> Table:
    """One row per declared entity."""
    rows = [
        {"id": e.id, "kind": e.kind, "name": e.name, "aliases": list(e.aliases)} for e in entities
    ]
    return Table(("id", "kind", "name", "aliases"), rows)


def frame(table: Table) -> Any:
    """A pandas DataFrame of the rows: one column per field, days as datetime64[s]."""
    try:
        import numpy as np
        import pandas as pd
    except ImportError:
        from .errors import TrackerError

        raise TrackerError(
            "to_frame() needs pandas: pip install 'geo-state-tracker[pandas]'"
        ) from None
    found = pd.DataFrame(list(table.rows), columns=list(table.columns))
    for name in table.days:
        days = [d if isinstance(d, str) and d else "NaT" for d in found[name]]
        found[name] = pd.Series(np.array(days, dtype="datetime64[D]")).astype("datetime64[s]")
    for name in table.times:
        moments = [t.rstrip("Z") if isinstance(t, str) and t else "NaT" for t in found[name]]
        series = pd.Series(np.array(moments, dtype="datetime64[s]"))
        found[name] = series.dt.tz_localize("UTC")
    return found


def cell(value: Any, choices: bool = False) -> str:
    """A value as one CSV or TSV cell: a list of words (a set's members, ids) joined by
    spaces, possible values (`choices`) by ` | `, anything nested as JSON, true or false,
    empty for none."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if choices and isinstance(value, list):
        return " | ".join(cell(v) for v in value)
    if isinstance(value, list):
        if all(isinstance(v, str) for v in value):
            return " ".join(value)
        import json

        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, dict):
        import json

        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)
