"""Conditions on a dyad's state, `DIMENSION=VALUE`: read, checked against the vocabulary,
merged (every one must hold), and warned about when no stored answer ever held the value.

A single-valued dimension holds one value at a time, so two different values asked of it can
never both hold: that is an error, not an empty answer. A set dimension holds several members,
so asking for two members asks for both.
"""

from __future__ import annotations

import difflib
import re
import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any, TypeAlias

import orjson

from .errors import TrackerError
from .reducers import DIMENSIONS, SET_DIMENSIONS, VALUES, Value, matches

_TOKEN = re.compile(r"[a-z][a-z0-9_]{0,63}")

Conditions: TypeAlias = dict[str, tuple[str, ...]]
"""Each dimension asked about and the values wanted of it (a set dimension may want several
members, all of them)."""

Where: TypeAlias = (
    Mapping[str, str] | Mapping[str, Iterable[str]] | Iterable[tuple[str, str]] | tuple[str, str]
)
"""Conditions as the Python API takes them: a mapping (a set dimension may map to several
members), (dimension, value) pairs, or one (dimension, value) pair."""


def check_condition(dimension: str, value: str) -> tuple[str, str]:
    """Validate a `dimension=value` condition against the vocabulary."""
    if dimension not in DIMENSIONS:
        raise TrackerError(f"unknown dimension {dimension!r}; one of {', '.join(DIMENSIONS)}")
    allowed = VALUES.get(dimension)
    if allowed is not None and value not in allowed:
        raise TrackerError(f"{dimension} takes one of {', '.join(allowed)}, not {value!r}")
    if allowed is None and not _TOKEN.fullmatch(value):
        raise TrackerError(f"{dimension} values are lowercase tokens, not {value!r}")
    return dimension, value


def parse_condition(text: str) -> tuple[str, str]:
    """Read `DIMENSION=VALUE`."""
    dimension, sep, value = text.partition("=")
    if not sep:
        raise TrackerError(f"{text!r}: write a condition as DIMENSION=VALUE")
    return check_condition(dimension.strip(), value.strip())


def parse(texts: Iterable[str]) -> Conditions:
    """Every `DIMENSION=VALUE` of a command's `--where` options, merged."""
    return merge(parse_condition(text) for text in texts)


def _pairs(where: Any) -> Iterable[Any]:
    if isinstance(where, tuple) and len(where) == 2 and all(isinstance(x, str) for x in where):
        return [where]  # one (dimension, value) pair, the older form of `first`
    if isinstance(where, Mapping):
        found: list[tuple[str, str]] = []
        for dimension, wanted in where.items():
            values = [wanted] if isinstance(wanted, str) else list(wanted)
            found.extend((dimension, v) for v in values)
        return found
    return list(where)


def conditions(where: Where) -> Conditions:
    """The conditions given to the Python API, checked and merged."""
    pairs = []
    for pair in _pairs(where):
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
            raise TrackerError(f"{pair!r}: give each condition as (dimension, value)")
        dimension, value = pair
        if not (isinstance(dimension, str) and isinstance(value, str)):
            raise TrackerError(f"{pair!r}: a condition's dimension and value are text")
        pairs.append(check_condition(dimension, value))
    return merge(pairs)


def merge(pairs: Iterable[tuple[str, str]]) -> Conditions:
    """Checked (dimension, value) pairs as Conditions; contradictory ones are an error."""
    found: dict[str, list[str]] = {}
    for dimension, value in pairs:
        values = found.setdefault(dimension, [])
        if value in values:
            continue
        if values and dimension not in SET_DIMENSIONS:
            raise TrackerError(
                f"{dimension}={values[0]} and {dimension}={value} cannot both hold: "
                f"{dimension} has one value at a time"
            )
        values.append(value)
    if not found:
        raise TrackerError("give at least one condition, DIMENSION=VALUE")
    ordered = [d for d in DIMENSIONS if d in found]
    return {d: tuple(sorted(found[d])) for d in ordered}


def holds(value: Value, wanted: Iterable[str]) -> bool:
    """Whether `value` meets every one of the wanted values (a set: holds every member)."""
    return all(matches(value, w) for w in wanted)


def to_json(found: Conditions) -> dict[str, str | list[str]]:
    """The JSON shape: DIMENSION: VALUE, or a list of members for a set dimension asked for
    several."""
    return {d: v[0] if len(v) == 1 else list(v) for d, v in found.items()}


def describe(found: Conditions) -> str:
    """The conditions in words: `envoy_sent=ambassador and recognition=none`."""
    return " and ".join(f"{d}={v}" for d, values in found.items() for v in values)


def _free(dimension: str) -> bool:
    return dimension not in VALUES  # set dimensions and stance take any token


def values_held(rows: Iterable[tuple[str, str]]) -> set[str]:
    """The values (set members) in stored (value, possible) columns of `intervals`."""
    found: set[str] = set()
    for value, possible in rows:
        for item in (orjson.loads(value), *orjson.loads(possible)):
            found.update(item if isinstance(item, list) else [item])
    return found


def unknown_values(
    conn: sqlite3.Connection, counterpart: str | None, found: Conditions
) -> list[str]:
    """A warning for each value of a set or free-token dimension that no stored answer toward
    `counterpart` (or any, without one) ever held: most likely a misspelling, so the close
    matches are named. An indexed read of the dimension's intervals toward the counterpart."""
    warnings = []
    for dimension, values in found.items():
        if not _free(dimension):
            continue
        held = values_held(_value_rows(conn, counterpart, dimension))
        for value in values:
            if value in held:
                continue
            close = difflib.get_close_matches(value, sorted(held), n=3, cutoff=0.6)
            toward = f" toward {counterpart}" if counterpart else ""
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            warnings.append(
                f"no stored event{toward} ever gave {dimension} the value {value!r}{hint}"
            )
    return warnings


def _value_rows(
    conn: sqlite3.Connection, counterpart: str | None, dimension: str
) -> Iterable[tuple[str, str]]:
    if counterpart is not None:  # the intervals_counterpart index
        return conn.execute(
            "SELECT DISTINCT value, possible FROM intervals WHERE counterpart = ? "
            "AND dimension = ?",
            (counterpart, dimension),
        )
    counterparts = [
        row[0] for row in conn.execute("SELECT DISTINCT counterpart FROM intervals")
    ]  # (the index's first column: a skip over it)
    rows: list[Any] = []
    for each in counterparts:
        rows.extend(_value_rows(conn, each, dimension))
    return rows
