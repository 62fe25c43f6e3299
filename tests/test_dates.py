"""Valid time: partial dates as inclusive windows, single days, transaction timestamps."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.dates import OPEN_END, OPEN_START, DateError, day, parse, timestamp

from .strategies import (
    closed_interval_texts,
    date_texts,
    day_texts,
    month_texts,
    open_interval_texts,
    year_texts,
)


class TestParse:
    """dates.parse: date text to an inclusive [earliest, latest] window."""

    @pytest.mark.parametrize(
        ("text", "earliest", "latest"),
        [
            ("2025-07-03", "2025-07-03", "2025-07-03"),
            ("2025-04", "2025-04-01", "2025-04-30"),
            ("2025-12", "2025-12-01", "2025-12-31"),
            ("2003", "2003-01-01", "2003-12-31"),
            ("2025-01-01/2025-07-04", "2025-01-01", "2025-07-04"),
            ("2021-08/2025-07-04", "2021-08-01", "2025-07-04"),
            ("2025/2025-03", "2025-01-01", "2025-03-31"),
            ("2021/2022", "2021-01-01", "2022-12-31"),
            ("../2025-07-04", OPEN_START, "2025-07-04"),
            ("2021-08-15/..", "2021-08-15", OPEN_END),
            ("../2025", OPEN_START, "2025-12-31"),
        ],
    )
    def test_windows(self, text: str, earliest: str, latest: str) -> None:
        """Days, months, years and intervals become their inclusive windows."""
        window = parse(text)
        assert (window.text, window.earliest, window.latest) == (text, earliest, latest)

    @pytest.mark.parametrize(
        ("text", "latest"),
        [
            ("2024-02", "2024-02-29"),
            ("2025-02", "2025-02-28"),
            ("2000-02", "2000-02-29"),
            ("1900-02", "1900-02-28"),
        ],
    )
    def test_february_follows_leap_years(self, text: str, latest: str) -> None:
        """February ends on the 29th exactly in leap years (2000 is one, 1900 is not)."""
        assert parse(text).latest == latest

    def test_leap_day_exists_only_in_leap_years(self) -> None:
        """29 February reads in 2024 and is refused in 2025 and 1900."""
        assert parse("2024-02-29").exact
        for text in ("2025-02-29", "1900-02-29"):
            with pytest.raises(DateError):
                parse(text)

    def test_a_date_object_is_a_day(self) -> None:
        """A datetime.date reads as its own single day."""
        window = parse(dt.date(2025, 7, 3))
        assert (window.earliest, window.latest, window.exact) == ("2025-07-03", "2025-07-03", True)

    def test_surrounding_space_is_ignored(self) -> None:
        """Leading and trailing whitespace is stripped from the text kept in the window."""
        assert parse(" 2025-04 \n").text == "2025-04"

    @pytest.mark.parametrize(
        "text",
        [
            "2025-02-30",
            "2025-04-31",
            "2025-13",
            "2025-00",
            "2025-01-00",
            "0000",
            "2025-07-04/2025-01-01",
            "2026/2025",
            "../..",
            "..",
            "",
            "   ",
            "yesterday",
            "2025-7-4",
            "25",
            "20250704",
            "2025/07/04",
            "2025-07-04T10:00",
            "2025-07-04/",
            "/2025-07-04",
            "2025-01-01/2025-02-01/2025-03-01",
            "-2025",
            "+2025",
        ],
    )
    def test_rejects_impossible_reversed_and_garbage(self, text: str) -> None:
        """Impossible days and months, reversed intervals and non-dates raise DateError."""
        with pytest.raises(DateError):
            parse(text)

    @pytest.mark.parametrize(
        "text",
        [
            "\uff12\uff10\uff12\uff15-\uff10\uff17-\uff10\uff13",  # full-width 2025-07-03
            "\u0662\u0660\u0662\u0665-\u0660\u0667-\u0660\u0663",  # Arabic-Indic 2025-07-03
            "\uff12\uff10\uff12\uff15",  # full-width 2025
        ],
    )
    def test_rejects_non_ascii_digits(self, text: str) -> None:
        """Only ASCII digits are dates: full-width or Arabic-Indic digits raise DateError."""
        with pytest.raises(DateError):
            parse(text)

    @pytest.mark.parametrize("value", [dt.datetime(2025, 7, 3, 12, 0), 2025, None, ["2025"]])
    def test_rejects_non_dates(self, value: object) -> None:
        """Timestamps and non-text values are not valid time."""
        with pytest.raises(DateError):
            parse(value)  # type: ignore[arg-type]

    @given(date_texts(min_year=1, max_year=9999))
    def test_earliest_never_after_latest(self, text: str) -> None:
        """Every valid date text gives a window of ISO days with earliest <= latest."""
        window = parse(text)
        assert window.text == text
        assert dt.date.fromisoformat(window.earliest) <= dt.date.fromisoformat(window.latest)
        assert len(window.earliest) == len(window.latest) == 10

    @given(st.dates())
    def test_every_calendar_day_parses_to_itself(self, value: dt.date) -> None:
        """Any calendar day, written YYYY-MM-DD, is an exact window of itself."""
        text = value.isoformat()
        window = parse(text)
        assert window.exact and window.earliest == window.latest == text

    @given(month_texts(1, 9999))
    def test_month_window_spans_the_month(self, text: str) -> None:
        """A month's window runs from its first day to the day before the next month."""
        window = parse(text)
        first = dt.date.fromisoformat(window.earliest)
        last = dt.date.fromisoformat(window.latest)
        assert first.day == 1 and (first.year, first.month) == (last.year, last.month)
        assert last.day == calendar.monthrange(last.year, last.month)[1]

    @pytest.mark.parametrize(
        ("text", "earliest", "latest"),
        [
            ("1955-05-05/1955", "1955-05-05", "1955-12-31"),
            ("1955-05-20/1955-05", "1955-05-20", "1955-05-31"),
            ("1955/1955-03", "1955-01-01", "1955-03-31"),
            ("1955-12/1955", "1955-12-01", "1955-12-31"),
            ("1955-05-31/1955-05", "1955-05-31", "1955-05-31"),
        ],
    )
    def test_an_end_less_precise_than_its_start(
        self, text: str, earliest: str, latest: str
    ) -> None:
        """An interval is reversed only when every day its start may be comes after every day
        its end may be: a start inside the end's month or year is an interval (EDTF)."""
        window = parse(text)
        assert (window.earliest, window.latest) == (earliest, latest)

    @pytest.mark.parametrize(
        "text", ["1956/1955-06", "1955-06/1955-05-31", "1955-06-01/1955-05", "1956-01-01/1955"]
    )
    def test_reversed_at_any_precision(self, text: str) -> None:
        """A start wholly after its end, at any precision, is refused with the reason."""
        with pytest.raises(DateError, match="the interval ends before it starts"):
            parse(text)

    @given(closed_interval_texts())
    def test_interval_covers_both_ends(self, text: str) -> None:
        """A closed interval runs from its start's earliest day to its end's latest day."""
        start, _, end = text.partition("/")
        window = parse(text)
        assert window.earliest == parse(start).earliest
        assert window.latest == parse(end).latest

    @given(open_interval_texts())
    def test_open_intervals_reach_the_calendar_edges(self, text: str) -> None:
        """An open end extends the window to the first or the last representable day."""
        window = parse(text)
        assert window.earliest == OPEN_START or window.latest == OPEN_END


class TestDay:
    """dates.day: a single day for --on and --after."""

    @given(day_texts(1, 9999))
    def test_accepts_single_days(self, text: str) -> None:
        """A YYYY-MM-DD text is returned unchanged."""
        assert day(text) == text

    def test_accepts_a_date_object(self) -> None:
        """A datetime.date is a day."""
        assert day(dt.date(2025, 7, 4)) == "2025-07-04"

    @given(st.one_of(month_texts(), year_texts(), closed_interval_texts(), open_interval_texts()))
    def test_rejects_wider_windows(self, text: str) -> None:
        """Months, years and intervals are refused, even when they happen to span one day."""
        with pytest.raises(DateError):
            day(text)

    def test_rejects_a_one_day_interval(self) -> None:
        """An interval whose ends are the same day is still an interval, not a day."""
        with pytest.raises(DateError):
            day("2025-07-03/2025-07-03")

    def test_rejects_impossible_day(self) -> None:
        """30 February is not a day."""
        with pytest.raises(DateError, match="2025-02-30"):
            day("2025-02-30")


class TestTimestamp:
    """dates.timestamp: transaction times normalized to YYYY-MM-DDTHH:MM:SSZ in UTC."""

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("2025-07-04", "2025-07-04T23:59:59Z"),
            (dt.date(2025, 7, 4), "2025-07-04T23:59:59Z"),
            ("2025-07-04T10:00:00Z", "2025-07-04T10:00:00Z"),
            ("2025-07-04T10:00:00+02:00", "2025-07-04T08:00:00Z"),
            ("2025-07-04T01:00:00+05:00", "2025-07-03T20:00:00Z"),
            ("2025-07-04T10:00:00.987654Z", "2025-07-04T10:00:00Z"),
            ("2025-07-04T10:00", "2025-07-04T10:00:00Z"),
            (" 2025-07-04T10:00:00Z ", "2025-07-04T10:00:00Z"),
            (dt.datetime(2025, 7, 4, 10, 0, 0, 5), "2025-07-04T10:00:00Z"),
            (
                dt.datetime(2025, 7, 4, 10, tzinfo=dt.timezone(dt.timedelta(hours=-3))),
                "2025-07-04T13:00:00Z",
            ),
        ],
    )
    def test_normalization(self, value: object, expected: str) -> None:
        """Days mean their last second; offsets convert to UTC; fractions of a second drop."""
        assert timestamp(value) == expected  # type: ignore[arg-type]

    @pytest.mark.parametrize("value", ["2025-02-30", "yesterday", "2025-13-01T00:00:00", "", 7])
    def test_rejects_garbage(self, value: object) -> None:
        """Impossible days, non-dates and non-text values raise DateError."""
        with pytest.raises(DateError):
            timestamp(value)  # type: ignore[arg-type]

    @pytest.mark.parametrize("value", ["20250704", "20250704T120000Z", "2025-W27", "2025185"])
    def test_basic_and_week_formats_are_refused(self, value: str) -> None:
        """A transaction time in ISO basic, week or ordinal format is refused, never misread."""
        with pytest.raises(DateError):
            timestamp(value)

    @given(st.datetimes(dt.datetime(1000, 1, 1), dt.datetime(9998, 12, 31)))
    def test_idempotent(self, moment: dt.datetime) -> None:
        """Normalizing a normalized timestamp changes nothing, and the format is fixed."""
        once = timestamp(moment.isoformat())
        assert timestamp(once) == once
        assert dt.datetime.strptime(once, "%Y-%m-%dT%H:%M:%SZ") == moment.replace(microsecond=0)

    @given(day_texts(1, 9999), st.datetimes(dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31)))
    def test_day_ends_after_every_moment_of_the_day(self, text: str, moment: dt.datetime) -> None:
        """A bare day's timestamp sorts after every timestamp of that day, as text."""
        same_day = dt.datetime.combine(dt.date.fromisoformat(text), moment.time())
        assert timestamp(same_day) <= timestamp(text)


REFUSALS: list[tuple[Any, Any, str]] = [
    (parse, "2025-13", "'2025-13': month 13 does not exist"),
    (parse, "2025-00", "'2025-00': month 00 does not exist"),
    (parse, "2025-02-30", "'2025-02-30': day 30 does not exist in 2025-02"),
    (parse, "2025-01-00", "'2025-01-00': day 00 does not exist in 2025-01"),
    (parse, "0000", "'0000': year 0000 is out of range (0001 to 9999)"),
    (parse, "July 2025", "'July 2025' is not a date (YYYY, YYYY-MM or YYYY-MM-DD)"),
    (parse, "../..", "'../..': an interval needs at least one known end"),
    (parse, "2025/2024", "'2025/2024': the interval ends before it starts"),
    (
        parse,
        dt.datetime(2025, 1, 1),
        "'2025-01-01T00:00:00': valid time is a date, not a timestamp",
    ),
    (parse, 5, "expected a date or a date string, got int"),
    (day, "2025-07", "'2025-07': give a single day, YYYY-MM-DD"),
    (day, "2025-07-01/2025-07-01", "'2025-07-01/2025-07-01': give a single day, YYYY-MM-DD"),
    (
        timestamp,
        "2025-07-04 noon",
        "'2025-07-04 noon' is not a date (YYYY-MM-DD) or an ISO timestamp",
    ),
    (timestamp, "2025-07-04T25:00:00Z", "'2025-07-04T25:00:00Z' is not a date or an ISO timestamp"),
    (timestamp, "2025-02-30", "'2025-02-30': day 30 does not exist in 2025-02"),
    (
        timestamp,
        "0001-01-01T00:00:00+01:00",
        "'0001-01-01T00:00:00+01:00' falls outside years 0001 to 9999 in UTC",
    ),
    (timestamp, 5, "expected a timestamp, got int"),
]


@pytest.mark.parametrize(("read", "value", "message"), REFUSALS, ids=[repr(r[1]) for r in REFUSALS])
def test_refusals_name_the_text_and_the_reason(read: Any, value: Any, message: str) -> None:
    """Each refused date says which text was refused and exactly why."""
    with pytest.raises(DateError) as raised:
        read(value)
    assert str(raised.value).startswith(message)


def test_timestamps_do_not_depend_on_the_machine_time_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    """An offset is converted to UTC, not to the zone of the machine running the tracker."""
    import time

    monkeypatch.setenv("TZ", "Asia/Kabul")
    time.tzset()
    try:
        assert timestamp("2025-07-04T12:00:00+02:00") == "2025-07-04T10:00:00Z"
    finally:
        monkeypatch.undo()
        time.tzset()


def test_only_an_upper_case_z_means_utc() -> None:
    """ISO 8601 writes UTC as `Z`; a lower-case `z` is no offset and is refused."""
    assert timestamp("2025-01-01T00:00:00Z") == timestamp("2025-01-01T00:00:00+00:00")
    with pytest.raises(DateError, match="is not a date or an ISO timestamp"):
        timestamp("2025-01-01T00:00:00z")
