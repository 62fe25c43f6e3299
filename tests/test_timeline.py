"""The folds of timeline.py held to answers written out by hand, and to laws that do not go
through the code under test: the rows of a dyad bounded by lifespans, the changes a plain
fold makes and where it places them, and the stored form of a record."""

from __future__ import annotations

import itertools

import attrs
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from events import LIFESPAN_TYPES, Event, VisitPaid
from tracker.reducers import DIMENSIONS, Answer, Dyad
from tracker.timeline import (
    Change,
    Interval,
    Record,
    at,
    changes,
    effective,
    intervals,
    plain_order,
    standing_lifespans,
)

from .strategies import LIVES, boundary_days, bounded_logs, make_record
from .test_lifespans import SOURCE, began, ended, sent
from .test_state import make

DYAD: Dyad = ("RUS", "TALIBAN")
NONE = Answer("none", None, False, ("none",), ())  # envoy_sent and recognition, initially


def _split(items: list[Event]) -> tuple[list[Record], list[Record]]:
    """A log's standing dyad records and lifespan records, each in replay order (records
    numbered in the order given)."""
    standing = effective([make_record(seq, e) for seq, e in enumerate(items, 1)])
    plain = [r for r in standing if r.type not in LIFESPAN_TYPES]
    lives = [r for r in standing if r.type in LIFESPAN_TYPES]
    return plain, lives


def _ids(records: list[Record]) -> dict[str, Record]:
    """Records by the note their event carries (the tests name their events so)."""
    return {r.event.note or r.type: r for r in records}


def _noted(event: Event, note: str) -> Event:
    """`event` named by its note."""
    return attrs.evolve(event, note=note)


def gap_log() -> list[Event]:
    """TALIBAN begins 2019-01-01; RUS ends 2021-01-01 and begins again 2021-06-01: the dyad's
    segments are [2019-01-01, 2021-01-01) and [2021-06-01, ..), with a gap between them and
    no day of uncertain existence. RUS sends envoys before, inside and across them."""
    return [
        _noted(began("TALIBAN", "2019-01-01"), "born"),
        _noted(ended("RUS", "2021-01-01"), "end"),
        _noted(began("RUS", "2021-06-01"), "back"),
        _noted(sent("RUS", "TALIBAN", "2018-05-01", "minister"), "before"),  # before all
        _noted(sent("RUS", "TALIBAN", "2020-01-01", "minister"), "first"),
        _noted(sent("RUS", "TALIBAN", "2021-01-01", "charge_d_affaires"), "on_end"),  # gap day 1
        _noted(sent("RUS", "TALIBAN", "2021-03-01", "ambassador"), "in_gap"),
        _noted(sent("RUS", "TALIBAN", "2021-04/2021-07", "ambassador"), "early"),
        _noted(sent("RUS", "TALIBAN", "2021-05/2021-07", "minister"), "later"),
    ]


class TestBoundedIntervals:
    """`intervals` with lifespans: each segment folded alone, its rows cut to the segment,
    answers masked where the dyad may not exist, equal neighbours merged."""

    def test_a_gap_cuts_the_rows_and_nothing_leaks_across_it(self) -> None:
        """Rows of a segment's own fold that end by the segment's start, or start at its end,
        leave no row (not even an empty one); the gap holds the initial answer; a window
        opening before its segment answers from the segment's start."""
        plain, lives = _split(gap_log())
        r = _ids(plain)
        first, later = r["first"].id, r["later"].id
        assert intervals(plain, DYAD, lives) == [
            Interval(
                "envoy_sent",
                "2020-01-01",
                "2021-01-01",
                Answer("minister", "2020-01-01", False, ("minister",), (first,)),
            ),
            Interval("envoy_sent", "2021-01-01", "2021-06-01", NONE),
            Interval(
                "envoy_sent",
                "2021-06-01",
                "2021-07-31",
                Answer("none", None, True, ("none", "minister"), (later,)),
            ),
            Interval(
                "envoy_sent",
                "2021-07-31",
                None,
                Answer("minister", "2021-05/2021-07", False, ("minister",), (later,)),
            ),
        ]

    def test_uncertain_existence_masks_and_merges(self) -> None:
        """Where RUS may have begun again (2021-06-01/2021-06-30) a value held is uncertain,
        the initial value possible, the end and the beginning behind it; the initial answer
        through the gap and the uncertain days runs on as one row until a value comes."""
        items = [
            _noted(ended("RUS", "2021-01-01"), "end"),
            _noted(began("RUS", "2021-06-01/2021-06-30"), "back"),
            _noted(sent("RUS", "TALIBAN", "2020-01-01", "minister"), "first"),
            _noted(make("recognition_granted", "2021-06-10"), "granted"),
            _noted(sent("RUS", "TALIBAN", "2021-08-01", "ambassador"), "then"),
        ]
        plain, lives = _split(items)
        r, life = _ids(plain), _ids(lives)
        granted = Answer("recognized", "2021-06-10", False, ("recognized",), (r["granted"].id,))
        doubted = Answer(
            "recognized",
            "2021-06-10",
            True,
            ("recognized", "none"),
            (r["granted"].id, life["end"].id, life["back"].id),
        )
        assert intervals(plain, DYAD, lives) == [
            Interval(
                "envoy_sent",
                "2020-01-01",
                "2021-01-01",
                Answer("minister", "2020-01-01", False, ("minister",), (r["first"].id,)),
            ),
            Interval("envoy_sent", "2021-01-01", "2021-08-01", NONE),
            Interval(
                "envoy_sent",
                "2021-08-01",
                None,
                Answer("ambassador", "2021-08-01", False, ("ambassador",), (r["then"].id,)),
            ),
            Interval("recognition", "2021-06-10", "2021-06-30", doubted),
            Interval("recognition", "2021-06-30", None, granted),
        ]
        assert at(plain, DYAD, "2021-06-15", lives)["recognition"] == doubted
        assert at(plain, DYAD, "2021-03-01", lives)["envoy_sent"] == NONE

    def test_a_dyad_that_never_surely_exists_is_masked_throughout(self) -> None:
        """RUS ended by 2020-12-31 (../2020-12-31): the dyad's existence is uncertain up to
        that day and it does not exist after, so no day is certain and every value held is
        masked, then returns to the initial one."""
        items = [
            _noted(ended("RUS", "../2020-12-31"), "end"),
            _noted(sent("RUS", "TALIBAN", "2020-01-01", "minister"), "first"),
        ]
        plain, lives = _split(items)
        first, end = _ids(plain)["first"].id, _ids(lives)["end"].id
        held = Answer("minister", "2020-01-01", True, ("minister", "none"), (first, end))
        assert intervals(plain, DYAD, lives) == [
            Interval("envoy_sent", "2020-01-01", "2020-12-31", held),
            Interval("envoy_sent", "2020-12-31", None, NONE),
        ]

    def test_lifespans_that_never_end_the_dyad_bound_nothing(self) -> None:
        """RUS ends and begins again on one day (the beginning logged after): it never stops
        existing, and the rows are those of the unbounded fold."""
        items = [
            ended("RUS", "2020-06-01"),
            began("RUS", "2020-06-01"),
            _noted(sent("RUS", "TALIBAN", "2020-01-01/2020-12-31", "minister"), "first"),
        ]
        plain, lives = _split(items)
        first = _ids(plain)["first"].id
        assert intervals(plain, DYAD, lives) == [
            Interval(
                "envoy_sent",
                "2020-01-01",
                "2020-12-31",
                Answer("none", None, True, ("none", "minister"), (first,)),
            ),
            Interval(
                "envoy_sent",
                "2020-12-31",
                None,
                Answer("minister", "2020-01-01/2020-12-31", False, ("minister",), (first,)),
            ),
        ]

    @settings(max_examples=max(10, settings().max_examples // 3), deadline=None)
    @given(bounded_logs(), st.data())
    def test_rows_tile_each_dimension_and_answer_as_at(
        self, items: list[Event], data: st.DataObject
    ) -> None:
        """Per dimension the rows are non-empty, follow one another without gaps or overlaps,
        never repeat the answer before them nor open with the initial one, and the row
        holding a day answers as `at` that day (the initial answer where none does)."""
        plain, lives = _split(items)
        actor, counterpart = data.draw(st.permutations(LIVES))[:2]
        dyad = (actor, counterpart)
        bounds = [r for r in lives if r.actor in dyad]
        rows = intervals(plain, dyad, bounds)
        for name in DIMENSIONS:
            mine = [row for row in rows if row.dimension == name]
            for row in mine:
                assert row.valid_to is None or row.valid_from < row.valid_to, row
            for before, after in itertools.pairwise(mine):
                assert before.valid_to == after.valid_from, (before, after)
                assert before.answer != after.answer, (before, after)
            if mine:
                assert mine[0].answer != at([], dyad, "2021-01-01")[name]
        for day in boundary_days([*plain, *bounds]):
            found = at(plain, dyad, day, bounds)
            for name in DIMENSIONS:
                held = [
                    row.answer
                    for row in rows
                    if row.dimension == name
                    and row.valid_from <= day
                    and (row.valid_to is None or day < row.valid_to)
                ]
                assert held in ([found[name]], []), (name, day)
                if not held:
                    assert found[name] == at([], dyad, day)[name], (name, day)


class TestChanges:
    """`changes` and `plain_order`: what a plain fold changes, in order, and on which day."""

    def test_without_lifespans_each_change_is_placed_at_its_earliest_day(self) -> None:
        """Every record counts, at its earliest day; one that moves nothing (a visit) or
        changes no value (a corroborating envoy) makes no change, and the fold goes on."""
        visit = VisitPaid(actor="RUS", counterpart="TALIBAN", on="2020-06-01", sources=(SOURCE,))
        items = [
            sent("RUS", "TALIBAN", "2020-01/2020-03", "minister"),
            sent("RUS", "TALIBAN", "2020-03-01", "minister"),
            visit,
            make("recognition_granted", "2020-09-01"),
        ]
        records = effective([make_record(seq, e) for seq, e in enumerate(items, 1)])
        window, again, visited, granted = records
        assert plain_order(records, DYAD) == [(r, False, r.earliest) for r in records]
        assert list(changes(records, DYAD)) == [
            Change(window, DYAD, "envoy_sent", "none", "minister", "2020-01-01"),
            Change(granted, DYAD, "recognition", "none", "recognized", "2020-09-01"),
        ]
        assert [c.placed for c in changes(records, DYAD)] == ["2020-01-01", "2020-09-01"]
        assert (again.type, visited.type) == ("envoy_sent", "visit_paid")

    def test_lifespans_drop_move_and_end(self) -> None:
        """With lifespans, a record dated before every segment, or placed on or after its
        segment's end, changes nothing (and stops nothing after it); a window opening before
        its segment is placed at the segment's start; the lifespan event that ends a segment
        returns every value to its initial one on the segment's last day + 1, before anything
        placed later."""
        plain, lives = _split(gap_log())
        r, life = _ids(plain), _ids(lives)
        end = life["end"]
        assert plain_order(plain, DYAD, lives) == [
            (r["first"], False, "2020-01-01"),
            (end, True, "2021-01-01"),
            (r["early"], False, "2021-06-01"),
            (r["later"], False, "2021-06-01"),
        ]
        assert list(changes(plain, DYAD, lifespans=lives)) == [
            Change(r["first"], DYAD, "envoy_sent", "none", "minister", "2020-01-01"),
            Change(end, DYAD, "envoy_sent", "minister", "none", "2021-01-01"),
            Change(r["early"], DYAD, "envoy_sent", "none", "ambassador", "2021-06-01"),
            Change(r["later"], DYAD, "envoy_sent", "ambassador", "minister", "2021-06-01"),
        ]


EARLY, MID, LATE = "2025-01-01T00:00:00Z", "2025-06-01T00:00:00Z", "2026-01-01T00:00:00Z"


def standing_log() -> dict[str, Record]:
    """RUS's lifespan events recorded at three moments: a machine-coded beginning, an end,
    a correction of the end (fix1) and a correction of that correction (fix2), with an envoy
    among them (not a lifespan event)."""
    born = attrs.evolve(began("RUS", "2019-01-01"), evidence="machine")
    found = {
        "born": make_record(1, born, EARLY),
        "envoy": make_record(2, sent("RUS", "TALIBAN", "2020-01-01"), EARLY),
        "end": make_record(3, ended("RUS", "2021-01-01"), MID),
    }
    fix1 = ended("RUS", "2022-01-01", corrects=found["end"].id)
    found["fix1"] = make_record(4, fix1, MID)
    fix2 = ended("RUS", "2022-02-01", corrects=found["fix1"].id)
    found["fix2"] = make_record(5, fix2, LATE)
    return found


ALL = "born envoy end fix1 fix2"


class TestStanding:
    """`standing_lifespans` and `effective`: what stands as known at a moment, by the
    documented rule, whichever way (quick or not) the code takes."""

    @pytest.mark.parametrize(
        ("given", "known_at", "also", "curated_only", "expected"),
        [
            (ALL, None, "", False, "born end fix2"),  # fix2 withdraws fix1: end stands
            ("born envoy", None, "", False, "born"),
            ("end born", None, "", False, "born end"),
            ("fix2 end born", None, "", False, "born end fix2"),
            ("fix1 fix2", None, "", False, "fix2"),
            ("born end", EARLY, "", False, "born"),
            (ALL, EARLY, "", False, "born"),
            (ALL, MID, "", False, "born fix1"),  # recorded at MID itself: known at MID
            (ALL, LATE, "", False, "born end fix2"),
            ("born end", None, "end", False, "born"),
            (ALL, None, "fix2", False, "born fix1"),  # fix1 stands again, and withdraws end
            ("born end", None, "", True, "end"),
            (ALL, None, "", True, "end fix2"),
        ],
    )
    def test_lifespans_stand_by_the_rule(
        self, given: str, known_at: str | None, also: str, curated_only: bool, expected: str
    ) -> None:
        """The lifespan events recorded by `known_at` (inclusive), machine-coded ones left out
        with `curated_only` (and only then), less those withdrawn by a withdrawal that itself
        stands or by `also`, in replay order; `effective` keeps the same records and the
        other events beside them."""
        log = standing_log()
        records = [log[name] for name in given.split()]
        options = {
            "known_at": known_at,
            "also": tuple(log[name].id for name in also.split()),
            "curated_only": curated_only,
        }
        wanted = [log[name] for name in expected.split()]
        others = [log["envoy"]] if "envoy" in given.split() else []
        assert standing_lifespans(records, **options) == wanted  # type: ignore[arg-type]
        found = effective(records, **options)  # type: ignore[arg-type]
        assert [r for r in found if r.type in LIFESPAN_TYPES] == wanted
        assert [r for r in found if r.type not in LIFESPAN_TYPES] == others
        if (known_at, also, curated_only) == (None, "", False):  # the defaults
            assert standing_lifespans(records) == wanted
            assert effective(records) == found


class TestRecord:
    """Record.of: a record's columns and stored body from an event."""

    def test_the_body_leaves_out_the_transaction_time(self) -> None:
        """The stored body is the event without `recorded` (a column of its own): the same
        event recorded at any moment, or at none, has one body, and reads back without it."""
        event = sent("RUS", "TALIBAN", "2020-01-01")
        moments = (None, "2025-01-01T00:00:00Z", "2026-02-03T04:05:06Z")
        found = [Record.of(1, attrs.evolve(event, recorded=m)) for m in moments]
        assert len({r.body for r in found}) == 1
        assert "recorded" not in orjson.loads(found[1].body)
        assert found[1].recorded == "2025-01-01T00:00:00Z"
        assert found[1].event == event
