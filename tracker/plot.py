"""Pictures of the answers: a dyad's dimensions over time, and how many actors match over time.

The numbers behind each picture come first (`dyad_series`, `count_series`) and can be written
as CSV or JSON (`write_data`); `draw_dyad` and `draw_count` turn them into PNG or SVG with
matplotlib's Agg canvas. matplotlib is imported only when drawing.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from . import conditions as conds
from . import dates, projection
from .errors import TrackerError
from .names import resolve
from .query import who
from .reducers import DIMENSIONS, default, effects_on, encode
from .store import Store
from .timeline import effective, intervals

IMAGE_FORMATS = (".png", ".svg")
DATA_FORMATS = (".csv", ".json")


def image_format(path: str | Path) -> str:
    """The image format named by a file's extension; a TrackerError for any other."""
    suffix = Path(path).suffix.lower()
    if suffix not in IMAGE_FORMATS:
        raise TrackerError(f"{path}: the picture must be a .png or .svg file")
    return suffix[1:]


def data_format(path: str | Path) -> str:
    """The data format named by a file's extension; a TrackerError for any other."""
    suffix = Path(path).suffix.lower()
    if suffix not in DATA_FORMATS:
        raise TrackerError(f"{path}: the data must go to a .csv or .json file")
    return suffix[1:]


@attrs.frozen
class Span:
    """One dimension's answer over [valid_from, valid_to) (valid_to None: still in force)."""

    dimension: str
    valid_from: str
    valid_to: str | None
    value: Any
    uncertain: bool
    possible: tuple[Any, ...]
    events: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """The JSON shape of one span."""
        return {
            "dimension": self.dimension,
            "valid_from": self.valid_from,
            "valid_to": self.valid_to,
            "value": self.value,
            "uncertain": self.uncertain,
            "possible": list(self.possible),
            "events": list(self.events),
        }


@attrs.frozen
class Mark:
    """An event that moved the dyad: its window of valid time and the dimensions it moved."""

    id: str
    type: str
    on: str
    earliest: str
    latest: str
    dimensions: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """The JSON shape of one event mark."""
        return {**attrs.asdict(self), "dimensions": list(self.dimensions)}


@attrs.frozen
class DyadSeries:
    """Everything the dyad picture shows: spans per dimension and the events behind them."""

    actor: str
    counterpart: str
    spans: tuple[Span, ...]
    marks: tuple[Mark, ...]

    def to_json(self) -> dict[str, Any]:
        """The documented JSON shape."""
        return {
            "actor": self.actor,
            "counterpart": self.counterpart,
            "spans": [s.to_json() for s in self.spans],
            "events": [m.to_json() for m in self.marks],
        }

    def rows(self) -> tuple[list[str], list[list[Any]]]:
        """CSV header and rows: one row per span."""
        header = ["dimension", "valid_from", "valid_to", "value", "uncertain", "possible", "events"]
        rows = [
            [
                s.dimension,
                s.valid_from,
                s.valid_to or "",
                _text(s.value),
                int(s.uncertain),
                " | ".join(_text(v) for v in s.possible),
                " ".join(s.events),
            ]
            for s in self.spans
        ]
        return header, rows


def _text(value: Any) -> str:
    return " ".join(value) if isinstance(value, list) else str(value)


def dyad_series(
    store: Store, actor: str, counterpart: str, resolved: dict[str, str] | None = None
) -> DyadSeries:
    """The intervals of every dimension of actor -> counterpart, and the events that set them."""
    dyad = (resolve(store, actor, resolved), resolve(store, counterpart, resolved))
    standing = effective(store.records(dyad))
    bounds = projection.bounds(store.conn, dyad)
    spans = tuple(
        Span(
            i.dimension,
            i.valid_from,
            i.valid_to,
            encode(i.answer.value),
            i.answer.uncertain,
            tuple(encode(v) for v in i.answer.possible),
            i.answer.events,
        )
        for i in intervals(standing, dyad, bounds)
    )
    marks = []
    for record in standing:
        moved = tuple(dict.fromkeys(d for d, _, _ in effects_on(record, dyad)))
        if moved:
            marks.append(
                Mark(record.id, record.type, record.on, record.earliest, record.latest, moved)
            )
    return DyadSeries(dyad[0], dyad[1], spans, tuple(marks))


@attrs.frozen
class CountPoint:
    """From `date` until the next point: the actors matching, settled and uncertain."""

    date: str
    actors: tuple[str, ...]
    uncertain: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """The JSON shape of one point."""
        return {
            "date": self.date,
            "settled": len(self.actors),
            "uncertain": len(self.uncertain),
            "actors": list(self.actors),
            "uncertain_actors": list(self.uncertain),
        }


@attrs.frozen
class CountSeries:
    """How many actors match the conditions toward a counterpart, as a step function."""

    counterpart: str
    where: conds.Conditions
    start: str
    end: str
    points: tuple[CountPoint, ...]
    warnings: tuple[str, ...] = ()
    resolved: dict[str, str] = attrs.field(factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The documented JSON shape."""
        return {
            "counterpart": self.counterpart,
            "where": conds.to_json(self.where),
            "from": self.start,
            "to": self.end,
            "points": [p.to_json() for p in self.points],
        }

    def rows(self) -> tuple[list[str], list[list[Any]]]:
        """CSV header and rows: one row per point."""
        header = ["date", "settled", "uncertain", "actors", "uncertain_actors"]
        rows = [
            [p.date, len(p.actors), len(p.uncertain), " ".join(p.actors), " ".join(p.uncertain)]
            for p in self.points
        ]
        return header, rows


def _day(text: str, option: str) -> str:
    """A single day, or a TrackerError naming the option (a DateError is not a user error)."""
    try:
        return dates.day(text)
    except dates.DateError as error:
        raise TrackerError(f"{option}: {error}") from None


def count_series(
    store: Store, counterpart: str, where: conds.Where, start: str, end: str
) -> CountSeries:
    """`who` asked on `start` and on every day in (start, end] on which some answer changes.

    Every condition must hold. The answer holds from each point until the next, so the series
    is exact, not sampled.
    """
    resolved: dict[str, str] = {}
    counterpart = resolve(store, counterpart, resolved)
    conditions = conds.conditions(where)
    first, last = _day(start, "--from"), _day(end, "--to")
    if first > last:
        raise TrackerError(f"--from {first} is after --to {last}")
    days = {first}
    for dimension in conditions:
        rows = store.conn.execute(
            "SELECT valid_from, valid_to FROM intervals WHERE counterpart = ? AND dimension = ?",
            (counterpart, dimension),
        )
        for valid_from, valid_to in rows:
            days.update(d for d in (valid_from, valid_to) if d is not None and first < d <= last)
    for entity in (counterpart, *store.dyads_toward(counterpart)):  # where dyads begin or end
        for record in projection.lifespan_records(store.conn, entity):
            days.update(d for d in (record.earliest, record.latest) if first < d <= last)
    points = []
    for day in sorted(days):
        found = who(store, counterpart, conditions, day)
        points.append(CountPoint(day, tuple(found.actors), tuple(found.uncertain)))
    warnings = tuple(conds.unknown_values(store.conn, counterpart, conditions))
    return CountSeries(counterpart, conditions, first, last, tuple(points), warnings, resolved)


def first_change(store: Store, counterpart: str, where: conds.Where) -> str | None:
    """The first day on which some answer for the conditions differs from the default."""
    counterpart = resolve(store, counterpart)
    found = None
    for dimension in conds.conditions(where):
        row = store.conn.execute(
            "SELECT min(valid_from) FROM intervals WHERE counterpart = ? AND dimension = ? "
            "AND valid_from > ?",
            (counterpart, dimension, dates.OPEN_START),
        ).fetchone()
        if row[0] is not None and (found is None or row[0] < found):
            found = row[0]
    return found


def write_data(series: DyadSeries | CountSeries, path: str | Path) -> None:
    """Write the numbers behind a picture as CSV or JSON (by the file's extension)."""
    if data_format(path) == "json":
        text = json.dumps(series.to_json(), indent=2, ensure_ascii=False) + "\n"
    else:
        header, rows = series.rows()
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        text = buffer.getvalue()
    Path(path).write_text(text, encoding="utf-8")


# -- drawing -------------------------------------------------------------------------------

_PALETTE = (
    "#4c72b0",
    "#dd8452",
    "#55a868",
    "#c44e52",
    "#8172b3",
    "#937860",
    "#da8bc3",
    "#8c8c8c",
    "#ccb974",
    "#64b5cd",
)


def _mdates() -> Any:
    """matplotlib.dates (untyped functions, hence Any)."""
    return importlib.import_module("matplotlib.dates")


def _date(day: str) -> dt.date:
    return dt.date.fromisoformat(day)


def _anchors(marks: Sequence[Mark]) -> list[str]:
    found = []
    for mark in marks:
        if mark.earliest != dates.OPEN_START:
            found.append(mark.earliest)
        if mark.latest != dates.OPEN_END:
            found.append(mark.latest)
    return found


def _range(days: Sequence[str], start: str | None, end: str | None) -> tuple[dt.date, dt.date]:
    low = _date(_day(start, "--from")) if start else _date(min(days))
    high = _date(_day(end, "--to")) if end else _date(max(days))
    span = max((high - low).days, 365)
    if not start:
        low -= dt.timedelta(days=span // 20)
    if not end:
        high += dt.timedelta(days=span // 8)
    if low >= high:
        raise TrackerError(f"nothing to draw between {low} and {high}")
    return low, high


def _label(value: Any) -> str:
    if isinstance(value, list):
        if len(value) > 2:
            return f"{value[0]}, ... ({len(value)})"
        return ", ".join(value) if value else "(none)"
    return str(value)


def _value_at(spans: Sequence[Span], dimension: str, day: str) -> str:
    for span in spans:
        current = span.valid_from <= day and (span.valid_to is None or span.valid_to > day)
        if span.dimension == dimension and current:
            if span.uncertain:
                return " or ".join(_label(v) for v in span.possible)
            return _label(span.value)
    return _label(encode(default(dimension)))


def draw_dyad(
    series: DyadSeries, path: str | Path, start: str | None = None, end: str | None = None
) -> None:
    """One swimlane per dimension that ever moved; uncertain spans hatched, events marked."""
    fmt = image_format(path)
    mdates = _mdates()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    lanes = [d for d in DIMENSIONS if any(s.dimension == d for s in series.spans)]
    if not lanes:
        raise TrackerError(
            f"no events move {series.actor} -> {series.counterpart}: nothing to draw"
        )
    days = _anchors(series.marks) or [s.valid_from for s in series.spans]
    low, high = _range(days, start, end)
    colors: dict[str, str] = {}
    width = mdates.date2num(high) - mdates.date2num(low)
    fig = Figure(figsize=(11, 0.6 * len(lanes) + 1.6))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for y, dimension in enumerate(lanes):
        for span in (s for s in series.spans if s.dimension == dimension):
            begin = max(_date(span.valid_from), low)
            finish = min(_date(span.valid_to), high) if span.valid_to else high
            if finish <= begin or (span.value == encode(default(dimension)) and not span.uncertain):
                continue
            key = _label(span.value)
            color = colors.setdefault(key, _PALETTE[len(colors) % len(_PALETTE)])
            x0, x1 = mdates.date2num(begin), mdates.date2num(finish)
            ax.broken_barh(
                [(x0, x1 - x0)],
                (y - 0.35, 0.7),
                facecolors=color,
                alpha=0.35 if span.uncertain else 0.85,
                hatch="///" if span.uncertain else None,
                edgecolor=color,
            )
            text = " or ".join(_label(v) for v in span.possible) if span.uncertain else key
            if (x1 - x0) / width > 0.0075 * (len(text) + 2):  # only where the label fits
                ax.text(x0, y, " " + text, va="center", fontsize=7, clip_on=True)
        for mark in (m for m in series.marks if dimension in m.dimensions):
            first = max(_date(mark.earliest), low)
            last = min(_date(mark.latest), high)
            if last < low or first > high:
                continue
            if first < last:
                ax.plot(
                    [mdates.date2num(first), mdates.date2num(last)],
                    [y + 0.42, y + 0.42],
                    color="black",
                    linewidth=1,
                )
            ax.plot(mdates.date2num(last), y + 0.42, marker="v", color="black", markersize=4)
    for y, dimension in enumerate(lanes):  # the value at the right edge, spelled out
        text = _value_at(series.spans, dimension, high.isoformat())
        ax.text(1.01, y, text[:30], transform=ax.get_yaxis_transform(), va="center", fontsize=8)
    ax.set_yticks(range(len(lanes)), [d.replace("_", " ") for d in lanes])
    ax.set_ylim(len(lanes) - 0.4, -0.6)
    ax.set_xlim(mdates.date2num(low), mdates.date2num(high))
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(
        f"{series.actor} -> {series.counterpart} over time (hatched: uncertain; "
        "triangles: events, lines: their date windows; right: the value at the end)",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(path, format=fmt, dpi=120)


def draw_count(series: CountSeries, path: str | Path) -> None:
    """A step line of the settled count; the band above it holds the uncertain actors."""
    fmt = image_format(path)
    mdates = _mdates()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    xs = [mdates.date2num(_date(p.date)) for p in series.points]
    xs.append(mdates.date2num(_date(series.end)))
    settled = [len(p.actors) for p in series.points]
    upper = [len(p.actors) + len(p.uncertain) for p in series.points]
    settled.append(settled[-1])
    upper.append(upper[-1])
    fig = Figure(figsize=(10, 4))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.fill_between(
        xs, settled, upper, step="post", alpha=0.3, hatch="///", color="#dd8452", label="uncertain"
    )
    ax.step(xs, settled, where="post", color="#4c72b0", linewidth=2, label="settled")
    ax.set_xlim(xs[0], xs[-1])
    ax.set_ylim(0, max(max(upper), 1) * 1.15)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    wanted = conds.describe(series.where)
    ax.set_ylabel("actors")
    ax.set_title(f"actors toward {series.counterpart} with {wanted}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, format=fmt, dpi=120)
