"""Valid time: dates as precise as their sources, each an inclusive window of days.

Accepted forms (a subset of ISO 8601 / EDTF level 0-1):

    2025-07-03             a day
    2025-04                a month
    2003                   a year
    2025-01-01/2025-07-04  a closed interval (each end may be a day, month or year)
    ../2025-07-04          sometime up to and including the end
    2021-08-15/..          sometime from the start on

Windows are ISO day strings, so they compare as text. Pure: no clock, no I/O.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re

import attrs

from .errors import TrackerError

OPEN_START = "0001-01-01"
OPEN_END = "9999-12-31"

_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MOMENT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}")
_PART = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")


class DateError(TrackerError, ValueError):
    """A date or interval that cannot be read; the message says why."""


@attrs.frozen
class Window:
    """An inclusive window [earliest, latest] of ISO days, and the text it came from."""

    text: str
    earliest: str
    latest: str

    @property
    def exact(self) -> bool:
        """True when the window is a single day."""
        return self.earliest == self.latest


def _bounds(text: str) -> tuple[str, str]:
    match = _PART.fullmatch(text)
    if match is None:
        raise DateError(f"{text!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)")
    year, month, day = (int(g) if g else None for g in match.groups())
    assert year is not None
    if year == 0:
        raise DateError(f"{text!r}: year 0000 is out of range (0001 to 9999)")
    if month is None:
        return f"{year:04d}-01-01", f"{year:04d}-12-31"
    if not 1 <= month <= 12:
        raise DateError(f"{text!r}: month {month:02d} does not exist")
    last = calendar.monthrange(year, month)[1]
    if day is None:
        return f"{year:04d}-{month:02d}-01", f"{year:04d}-{month:02d}-{last:02d}"
    if not 1 <= day <= last:
        raise DateError(f"{text!r}: day {day:02d} does not exist in {year:04d}-{month:02d}")
    return (text, text)


def _is_day(text: str) -> bool:
    """Whether `text` is a real calendar day written YYYY-MM-DD (the common case, fast)."""
    if _DAY.fullmatch(text) is None:
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False  # the slow path says what is wrong with it
    return True


@functools.lru_cache(maxsize=1 << 16)
def _parse_text(text: str) -> Window:
    if _is_day(text):
        return Window(text, text, text)
    if "/" not in text:
        earliest, latest = _bounds(text)
        return Window(text, earliest, latest)
    start, _, end = text.partition("/")
    if start == ".." and end == "..":
        raise DateError(f"{text!r}: an interval needs at least one known end")
    earliest = OPEN_START if start == ".." else _bounds(start)[0]
    latest = OPEN_END if end == ".." else _bounds(end)[1]
    if earliest > latest:  # only when no day the start may be comes before one the end may be
        raise DateError(f"{text!r}: the interval ends before it starts")
    return Window(text, earliest, latest)


def parse(value: str | dt.date) -> Window:
    """Read a date, month, year or interval into its window; raise DateError if it is not one."""
    if isinstance(value, dt.datetime):
        raise DateError(f"{value.isoformat()!r}: valid time is a date, not a timestamp")
    if isinstance(value, dt.date):
        text = value.isoformat()
        return Window(text, text, text)
    if not isinstance(value, str):
        raise DateError(f"expected a date or a date string, got {type(value).__name__}")
    return _parse_text(value.strip())


def day(value: str | dt.date) -> str:
    """Read a single day (for `--on` and `--after`); raise DateError for anything wider."""
    if isinstance(value, str) and _is_day(value):
        return value
    window = parse(value)
    if not window.exact or "/" in window.text:
        raise DateError(f"{window.text!r}: give a single day, YYYY-MM-DD")
    return window.earliest


def timestamp(value: str | dt.date) -> str:
    """Normalize a transaction time to `YYYY-MM-DDTHH:MM:SSZ` (UTC); a bare day means its end."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        return f"{value.isoformat()}T23:59:59Z"
    elif isinstance(value, str):
        text = value.strip()
        if _DAY.fullmatch(text):
            return f"{day(text)}T23:59:59Z"
        if not _MOMENT.match(text):
            raise DateError(f"{value!r} is not a date (YYYY-MM-DD) or an ISO timestamp")
        try:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise DateError(f"{value!r} is not a date or an ISO timestamp") from None
    else:
        raise DateError(f"expected a timestamp, got {type(value).__name__}")
    if moment.tzinfo is not None:
        try:
            moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
        except OverflowError:
            raise DateError(f"{value!r} falls outside years 0001 to 9999 in UTC") from None
    return moment.replace(microsecond=0).isoformat() + "Z"
