"""Panels: one row per (actor, counterpart, period), the table researchers build from COW data.

Each period is sampled on one day (by default the last of a year or month: the day whose
settled value a snapshot records). A row gives, for each dimension asked, the settled value,
whether it is uncertain and what it could be, since when, whether it rests only on
machine-coded events and the events behind it; and whether the dyad existed that day (both
its entities' lifespans). Rows are streamed dyad by dyad from the intervals table, so memory
does not grow with the store.
"""

from __future__ import annotations

import calendar
import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import attrs

from . import conditions as conds
from . import dates, lifespans, projection
from .errors import TrackerError
from .frames import Row, Table, window
from .names import resolve
from .reducers import DIMENSIONS, SET_DIMENSIONS, Answer, Dyad, encode
from .store import Store

EVERY = ("year", "month", "day")
MAX_PERIODS = 100_000
_FIELDS = ("", "_uncertain", "_possible", "_since", "_since_earliest", "_since_latest")
_MORE = ("_machine_coded", "_events")


def periods(
    start: str, end: str, every: str = "year", on: str | None = None
) -> list[tuple[str, str]]:
    """(period, day sampled) for each period whose sampled day is in [start, end]: a year's
    on MM-DD (default 12-31), a month's on DD (default its last day), or each day."""
    first, last = dates.parse(start).earliest, dates.parse(end).latest
    if first == dates.OPEN_START or last == dates.OPEN_END:
        raise TrackerError("--from and --to must be dates, not open intervals")
    if first > last:
        raise TrackerError(f"--from {start} is after --to {end}")
    if every not in EVERY:
        raise TrackerError(f"--every takes one of {', '.join(EVERY)}, not {every!r}")
    found: list[tuple[str, str]] = []
    if every == "day":
        if on is not None:
            raise TrackerError("--on picks a day in each year or month: not with --every day")
        day = dates.parse(first).earliest
        while day <= last:
            found.append((day, day))
            day = _next_day(day)
            _cap(found)
        return found
    years = range(int(first[:4]), int(last[:4]) + 1)
    if every == "year":
        month_day = _month_day(on or "12-31")
        samples = ((f"{y:04d}", f"{y:04d}-{month_day}") for y in years)
    else:
        pick = _day_of_month(on)
        samples = (
            (f"{y:04d}-{m:02d}", f"{y:04d}-{m:02d}-{pick(y, m):02d}")
            for y in years
            for m in range(1, 13)
        )
    for label, day in samples:
        if first <= day <= last:
            found.append((label, day))
            _cap(found)
    return found


def _cap(found: list[tuple[str, str]]) -> None:
    if len(found) > MAX_PERIODS:
        raise TrackerError(f"more than {MAX_PERIODS:,} periods: narrow --from and --to")


def _next_day(day: str) -> str:
    import datetime as dt

    return (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()


def _month_day(text: str) -> str:
    try:
        month, day = (int(part) for part in text.split("-"))
        calendar.monthrange(2001, month)  # a year that is not a leap year
        if not (len(text) == 5 and 1 <= day <= calendar.monthrange(2001, month)[1]):
            raise ValueError
    except ValueError:
        raise TrackerError(
            f"--on {text!r}: give a day of every year as MM-DD (12-31; not 02-29)"
        ) from None
    return text


def _day_of_month(text: str | None) -> Callable[[int, int], int]:
    if text is None:
        return lambda y, m: calendar.monthrange(y, m)[1]
    if not (text.isdigit() and len(text) == 2 and 1 <= int(text) <= 28):
        raise TrackerError(
            f"--on {text!r}: give a day of every month as DD, 01 to 28 (leave it out for "
            "the last day)"
        )
    return lambda y, m: int(text)


@attrs.frozen
class Panel:
    """A dyad-period panel, streamed from the store (which must stay open while it is read)."""

    columns: tuple[str, ...]
    _rows: Callable[[Callable[[int], None] | None], Iterator[Row]] = attrs.field(alias="rows")
    dyads: int
    dimensions: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    resolved: dict[str, str] = attrs.field(factory=dict)

    def rows(self, progress: Callable[[int], None] | None = None) -> Iterator[Row]:
        """The rows, one (actor, counterpart, period) at a time; `progress(1)` after each dyad."""
        return self._rows(progress)

    def __iter__(self) -> Iterator[Row]:
        return self.rows()

    def table(self, progress: Callable[[int], None] | None = None) -> Table:
        """The rows as a frames.Table (days and choices marked)."""
        days = {"date", *(f"{d}_since_{end}" for d in self.dimensions for end in _ENDS)}
        choices = {f"{d}_possible" for d in self.dimensions}
        return Table(self.columns, self.rows(progress), frozenset(days), choices=frozenset(choices))

    def to_dict(self) -> list[Row]:
        """Every row, JSON-ready."""
        return list(self.rows())

    def to_frame(self) -> Any:
        """A pandas DataFrame of every row (needs the `pandas` extra)."""
        from .frames import frame

        return frame(self.table())


_ENDS = ("earliest", "latest")


def panel(
    store: Store,
    dimensions: Sequence[str],
    start: str,
    end: str,
    *,
    every: str = "year",
    on: str | None = None,
    actor: str | None = None,
    counterpart: str | None = None,
    where: conds.Where | None = None,
) -> Panel:
    """A panel of `dimensions` for every dyad the store knows (or those of `actor`, toward
    `counterpart`), one row per period from `start` to `end`.

    With `where`, only the rows where every condition holds or may hold are kept, and a
    `match` column says which (`yes`, `uncertain`).
    """
    wanted = tuple(dict.fromkeys(dimensions))
    for name in wanted:
        if name not in DIMENSIONS:
            raise TrackerError(f"unknown dimension {name!r}; one of {', '.join(DIMENSIONS)}")
    if not wanted:
        raise TrackerError("give at least one --dimension")
    sampled = periods(start, end, every, on)
    resolved: dict[str, str] = {}
    actor = None if actor is None else resolve(store, actor, resolved)
    counterpart = None if counterpart is None else resolve(store, counterpart, resolved)
    found = None if where is None else conds.conditions(where)
    warnings = () if found is None else tuple(conds.unknown_values(store.conn, counterpart, found))
    columns = ["actor", "counterpart", "period", "date", "exists"]
    columns += ["match"] if found else []
    columns += [f"{d}{f}" for d in wanted for f in (*_FIELDS, *_MORE)]
    read = (*wanted, *(d for d in found or () if d not in wanted))
    dyads = _dyads(store, actor, counterpart)

    def rows(progress: Callable[[int], None] | None) -> Iterator[Row]:
        for dyad in _dyads(store, actor, counterpart):
            yield from _dyad_rows(store, dyad, read, wanted, sampled, found)
            if progress is not None:
                progress(1)

    return Panel(tuple(columns), rows, _count(dyads), wanted, warnings, resolved)


def _count(dyads: Iterable[Dyad]) -> int:
    return sum(1 for _ in dyads)


def _dyads(store: Store, actor: str | None, counterpart: str | None) -> Iterator[Dyad]:
    """Every dyad of two entities that some event touches, in order (a scan of an index)."""
    rows = store.conn.execute(
        "SELECT DISTINCT actor, counterpart FROM dyad_events WHERE actor != counterpart "
        "AND (?1 IS NULL OR actor = ?1) AND (?2 IS NULL OR counterpart = ?2) "
        "ORDER BY actor, counterpart",
        (actor, counterpart),
    )
    return ((a, c) for a, c in rows)


_Cells = dict[str, Any]


@functools.lru_cache(maxsize=4096)
def _since(text: str | None) -> tuple[str | None, str | None]:
    return window(text)


def _cells(name: str, ans: Answer) -> _Cells:
    """A dimension's columns for one answer."""
    earliest, latest = _since(ans.since)
    return {
        name: encode(ans.value),
        f"{name}_uncertain": ans.uncertain,
        f"{name}_possible": [encode(v) for v in ans.possible],
        f"{name}_since": ans.since,
        f"{name}_since_earliest": earliest,
        f"{name}_since_latest": latest,
        f"{name}_machine_coded": ans.machine_coded,
        f"{name}_events": list(ans.events),
    }


def _dyad_rows(
    store: Store,
    dyad: Dyad,
    read: tuple[str, ...],
    wanted: tuple[str, ...],
    sampled: list[tuple[str, str]],
    found: conds.Conditions | None,
) -> Iterator[Row]:
    """One dyad's rows: each dimension's interval in force on each sampled day."""
    spans = projection.dyad_intervals(store.conn, dyad, read)
    blank = {d: _cells(d, projection.BLANK[d]) for d in wanted}
    cells: dict[str, list[_Cells]] = {d: [_cells(d, ans) for _, _, ans in spans[d]] for d in wanted}
    place = dict.fromkeys(read, -1)
    exists = _existence(store, dyad)
    for label, day in sampled:
        current: dict[str, Answer] = {}
        for d in read:
            rows, k = spans[d], place[d]
            while k + 1 < len(rows) and rows[k + 1][0] <= day:
                k += 1
            place[d] = k
            current[d] = rows[k][2] if k >= 0 else projection.BLANK[d]
        state = exists(day)
        row: Row = {
            "actor": dyad[0],
            "counterpart": dyad[1],
            "period": label,
            "date": day,
            "exists": state,
        }
        if found:
            match = _match(current, found, state)
            if match is None:
                continue
            row["match"] = match
        for d in wanted:
            row.update(cells[d][place[d]] if place[d] >= 0 else blank[d])
        yield row


def _match(current: dict[str, Answer], found: conds.Conditions, state: str) -> str | None:
    """`yes` if every condition holds, `uncertain` if every one may, else None."""
    if state == lifespans.NO:
        return None
    every = state == lifespans.YES
    for dimension, values in found.items():
        hits = [conds.holds(v, values) for v in current[dimension].possible]
        if not any(hits):
            return None
        every &= all(hits)
    return "yes" if every else "uncertain"


def _existence(store: Store, dyad: Dyad) -> Callable[[str], str]:
    """Whether the dyad exists on a day (both entities' standing lifespan events)."""
    bounds = projection.bounds(store.conn, dyad)
    if not bounds:
        return lambda _: lifespans.YES
    first, second = ([r for r in bounds if r.actor == e] for e in sorted(dyad))
    found = lifespans.dyad_periods(first, second)
    return lambda day: lifespans.period_at(found, day).exists


FORMATS = ("csv", "tsv", "jsonl", "parquet")


def file_format(path: str, given: str | None) -> str:
    """The format to write: the one given, else by the file's extension, else CSV."""
    if given is not None:
        return given
    suffix = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    return {"ndjson": "jsonl", "pq": "parquet"}.get(suffix, suffix if suffix in FORMATS else "csv")


def write(
    found: Panel, handle: Any, fmt: str, progress: Callable[[int], None] | None = None
) -> int:
    """Write the panel's rows to an open file (text for CSV, TSV and JSON Lines, binary for
    Parquet); return how many were written."""
    if fmt == "parquet":
        return _parquet(found, handle, progress)
    import csv

    import orjson

    from .frames import cell

    count = 0
    table = found.table(progress)
    if fmt == "jsonl":
        for row in table.rows:
            handle.write(orjson.dumps(row).decode() + "\n")
            count += 1
        return count
    writer = csv.writer(handle, delimiter="\t" if fmt == "tsv" else ",", lineterminator="\n")
    writer.writerow(table.columns)
    choices = table.choices
    for row in table.rows:
        writer.writerow([cell(row[c], c in choices) for c in table.columns])
        count += 1
    return count


def _parquet(found: Panel, handle: Any, progress: Callable[[int], None] | None) -> int:
    """Parquet, a batch of rows at a time (needs pyarrow: the `parquet` extra)."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise TrackerError(
            "Parquet needs pyarrow: pip install 'geo-state-tracker[parquet]'"
        ) from None
    import datetime as dt

    from .frames import cell

    table = found.table(progress)
    words, days = pa.list_(pa.string()), {"date"}
    fields = []
    for name in table.columns:
        dimension = next((d for d in found.dimensions if name.startswith(d)), None)
        rest = name[len(dimension) :] if dimension else None
        if name in table.days:
            kind = pa.date32()
            days.add(name)
        elif rest in ("_uncertain", "_machine_coded"):
            kind = pa.bool_()
        elif rest in ("_possible", "_events") or (rest == "" and dimension in SET_DIMENSIONS):
            kind = words
        else:
            kind = pa.string()
        fields.append(pa.field(name, kind))
    schema = pa.schema(fields)
    count = 0
    with pq.ParquetWriter(handle, schema) as out:
        batch: list[Row] = []
        for row in table.rows:
            for name in days:
                value = row[name]
                row[name] = dt.date.fromisoformat(value) if value else None
            for name in table.choices:
                row[name] = [cell(v) for v in row[name]]
            batch.append(row)
            if len(batch) == 10_000:
                out.write_batch(pa.RecordBatch.from_pylist(batch, schema=schema))
                count += len(batch)
                batch = []
        if batch:
            out.write_batch(pa.RecordBatch.from_pylist(batch, schema=schema))
            count += len(batch)
    return count
