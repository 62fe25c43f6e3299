"""The fast folds in tracker.timeline answer exactly as the plain folds they replaced.

`plain_at` and `plain_intervals` are the straightforward definitions (DESIGN.md §4): fold every
settled record for `lower`, every possible one for `upper`, whole dyad states at every day.
The timeline module takes shortcuts (one pass for both folds, stopping at the first record
possible only after the day, one dimension at a time, mending settled states in place,
one fold for both bounds where every window is a single day);
these tests hold them to the plain answers, object for object.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from events import Event
from tracker.reducers import (
    DIMENSIONS,
    INITIAL,
    Answer,
    Dyad,
    DyadState,
    Slot,
    answer,
    effects_on,
    evolve,
    raw,
    raw_answer,
    step,
)
from tracker.timeline import Interval, Record, at, effective, intervals

from .strategies import (
    STANDING_TYPES,
    boundary_days,
    day_texts,
    event_lists,
    make_record,
    to_records,
)
from .test_state import make

DYADS: tuple[Dyad, ...] = (("RUS", "TALIBAN"), ("TALIBAN", "RUS"), ("RUS", "CHN"))
FORWARD: Dyad = DYADS[0]


# Types that move few dimensions, back and forth and in both directions, so that records
# corroborate, undo and mirror one another.
FEW_TYPES: tuple[str, ...] = (
    "recognition_granted",
    "recognition_withdrawn",
    "relations_established",
    "relations_severed",
    "designation_added",
    "designation_removed",
    "envoy_sent",
    "credentials_accepted",
)


def crowded(
    max_size: int, types: tuple[str, ...] = STANDING_TYPES
) -> st.SearchStrategy[list[Event]]:
    """Many events on few dyads and years: windows overlap, tie and settle out of order."""
    return event_lists(
        types,
        actors=("RUS", "TALIBAN", "CHN"),
        min_year=2020,
        max_year=2022,
        max_size=max_size,
        recorded=st.none(),
    )


# Types that move one set dimension (members added, added again, removed when absent: steps
# that change nothing) and one of two values (set, and often corroborated).
TWO_DIMENSION_TYPES: tuple[str, ...] = (
    "designation_added",
    "designation_removed",
    "recognition_granted",
    "recognition_withdrawn",
)


def one_year(max_size: int) -> st.SearchStrategy[list[Event]]:
    """Many events on one pair, dated within 2021: each dimension is touched many times by
    windows that overlap, so that touches settle behind several already settled, in turn."""
    return event_lists(
        TWO_DIMENSION_TYPES,
        actors=("RUS", "TALIBAN"),
        min_year=2021,
        max_year=2021,
        min_size=3,
        max_size=max_size,
        recorded=st.none(),
    )


def _fold(records: Sequence[Record], dyad: Dyad) -> DyadState:
    state = INITIAL
    for record in records:
        found = effects_on(record, dyad)
        if found:
            state = evolve(state, found, record.id, record.on)
    return state


def plain_at(records: Sequence[Record], dyad: Dyad, day: str) -> dict[str, Answer]:
    """Fold the settled records, then the possible ones, and compare."""
    lower = _fold([r for r in records if r.latest <= day], dyad)
    upper = _fold([r for r in records if r.earliest <= day], dyad)
    return {
        name: answer(low, up)
        for name, low, up in zip(DIMENSIONS, lower.slots, upper.slots, strict=True)
    }


def _days(records: Sequence[Record]) -> list[str]:
    return sorted({r.earliest for r in records} | {r.latest for r in records})


def plain_intervals(records: Sequence[Record], dyad: Dyad) -> list[Interval]:
    """`plain_at` on every day a window opens or closes, run together into intervals."""
    rows: list[Interval] = []
    nothing = plain_at([], dyad, "2000-01-01")
    opened: dict[str, tuple[str, Answer]] = {}
    for day in _days(records):
        for name, found in plain_at(records, dyad, day).items():
            if name in opened:
                if opened[name][1] == found:
                    continue
                rows.append(Interval(name, opened[name][0], day, opened[name][1]))
            elif found == nothing[name]:
                continue
            opened[name] = (day, found)
    rows.extend(Interval(name, start, None, found) for name, (start, found) in opened.items())
    return sorted(rows, key=lambda row: (row.dimension, row.valid_from))


class TestAt:
    """`at` answers as the two plain folds."""

    @given(crowded(30) | crowded(30, FEW_TYPES), st.sampled_from(DYADS), st.data())
    def test_equals_the_plain_folds(
        self, items: list[Event], dyad: Dyad, data: st.DataObject
    ) -> None:
        """On window edges, the days around them and any day, for either direction."""
        records = effective(to_records(items))
        days = st.sampled_from(boundary_days(records)) | day_texts(2019, 2023)
        for day in data.draw(st.lists(days, min_size=1, max_size=8)):
            assert at(records, dyad, day) == plain_at(records, dyad, day), day

    @given(crowded(20), st.sampled_from(DYADS))
    def test_records_possible_only_later_change_nothing(
        self, items: list[Event], dyad: Dyad
    ) -> None:
        """Stopping at the first record whose window opens after the day loses nothing:
        settled records are possible ones too (earliest <= latest), and replay order puts
        every record possible by the day before the first one that is not."""
        records = effective(to_records(items))
        for record in records:
            assert record.earliest <= record.latest
        for day in boundary_days(records):
            possible = [r for r in records if r.earliest <= day]
            assert records[: len(possible)] == possible
            assert at(possible, dyad, day) == at(records, dyad, day)

    def test_a_wide_window_is_uncertain_until_it_closes(self) -> None:
        """An open-ended window opening early never settles; one opening after the day is
        not folded at all, even behind records that are."""
        early = make("designation_added", "2021-01-01/..", designation="partner")
        late = make("recognition_granted", "2021-06-01")
        exact = make("recognition_withdrawn", "2021-03-01")
        records = effective(
            [make_record(seq, event) for seq, event in enumerate((early, late, exact), 1)]
        )
        dyad = (early.actor, early.counterpart)
        for day in ("2020-12-31", "2021-01-01", "2021-03-01", "2021-05-31", "2030-01-01"):
            assert at(records, dyad, day) == plain_at(records, dyad, day), day
        assert at(records, dyad, "2021-05-31")["recognition"].value == "withdrawn"
        assert at(records, dyad, "2030-01-01")["designations"].uncertain

    def test_a_settled_record_behind_an_unsettled_one(self) -> None:
        """The settled fold leaves out a window still open on the day, even when a later
        record corroborates it: the value is the same, its date and sources are not."""
        year = make("recognition_granted", "2021")
        march = make("recognition_granted", "2021-03-01")
        records = effective([make_record(seq, e) for seq, e in enumerate((year, march), 1)])
        dyad = (year.actor, year.counterpart)
        found = at(records, dyad, "2021-06-01")["recognition"]
        assert found == plain_at(records, dyad, "2021-06-01")["recognition"]
        assert (found.since, found.events) == ("2021-03-01", (records[1].id,))
        assert at(records, dyad, "2022-01-01")["recognition"].since == "2021"
        assert intervals(records, dyad) == plain_intervals(records, dyad)


class TestIntervals:
    """`intervals` runs `at` together over time."""

    @given(crowded(30) | crowded(30, FEW_TYPES), st.sampled_from(DYADS))
    def test_equals_the_plain_intervals(self, items: list[Event], dyad: Dyad) -> None:
        """Row for row, in order, for windows that settle behind ones already settled."""
        records = effective(to_records(items))
        assert intervals(records, dyad) == plain_intervals(records, dyad)

    @given(one_year(16), st.sampled_from(DYADS[:2]))
    def test_touches_settling_behind_others_in_turn(self, items: list[Event], dyad: Dyad) -> None:
        """Where a dimension's touches settle behind ones already settled, again and again,
        the mended settled states give the plain intervals, and `at` the plain answers."""
        records = effective(to_records(items))
        assert intervals(records, dyad) == plain_intervals(records, dyad)
        for day in boundary_days(records):
            assert at(records, dyad, day) == plain_at(records, dyad, day), day

    def test_a_window_settling_behind_a_later_record(self) -> None:
        """A member added within a window (y, 2021-03/2021-06) settles after one added later
        (z, 2021-04-01): the settled set gains z first, then y, and the events behind the
        value follow replay order once all is settled; so do those behind a value the three
        corroborate (recognized)."""
        items = [
            make("designation_added", "2021-01-01", designation="x"),
            make("designation_added", "2021-03/2021-06", designation="y"),
            make("designation_added", "2021-04-01", designation="z"),
            make("recognition_granted", "2021-01-01"),
            make("recognition_granted", "2021-03/2021-06"),
            make("recognition_granted", "2021-04-01"),
        ]
        records = effective([make_record(seq, e) for seq, e in enumerate(items, 1)])
        x, g1, y, g2, z, g3 = (r.id for r in records)
        one, two, three = frozenset("x"), frozenset("xz"), frozenset("xyz")

        def yes(*events: str) -> Answer:
            return Answer("recognized", "2021-01-01", False, ("recognized",), events)

        assert intervals(records, FORWARD) == [
            Interval(
                "designations",
                "2021-01-01",
                "2021-03-01",
                Answer(one, "2021-01-01", False, (one,), (x,)),
            ),
            Interval(
                "designations",
                "2021-03-01",
                "2021-04-01",
                Answer(one, "2021-01-01", True, (one, frozenset("xy")), (x, y)),
            ),
            Interval(
                "designations",
                "2021-04-01",
                "2021-06-30",
                Answer(two, "2021-04-01", True, (two, three), (x, z, y)),
            ),
            Interval(
                "designations",
                "2021-06-30",
                None,
                Answer(three, "2021-04-01", False, (three,), (x, y, z)),
            ),
            Interval("recognition", "2021-01-01", "2021-04-01", yes(g1)),
            Interval("recognition", "2021-04-01", "2021-06-30", yes(g1, g3)),
            Interval("recognition", "2021-06-30", None, yes(g1, g2, g3)),
        ]

    def test_a_step_that_changes_nothing_ends_nothing(self) -> None:
        """Removing a member that is not there changes no state: the rows run on past it."""
        items = [
            make("designation_added", "2021-01-01", designation="x"),
            make("designation_removed", "2021-02-01", designation="w"),
            make("designation_added", "2021-03-01", designation="z"),
        ]
        records = effective([make_record(seq, e) for seq, e in enumerate(items, 1)])
        x, _, z = (r.id for r in records)
        one, two = frozenset("x"), frozenset("xz")
        assert intervals(records, FORWARD) == [
            Interval(
                "designations",
                "2021-01-01",
                "2021-03-01",
                Answer(one, "2021-01-01", False, (one,), (x,)),
            ),
            Interval(
                "designations", "2021-03-01", None, Answer(two, "2021-03-01", False, (two,), (x, z))
            ),
        ]

    @settings(max_examples=max(settings().max_examples // 8, 5))  # long: dev 5, ci 25
    @given(event_lists(min_size=40, max_size=80, min_year=2020, max_year=2021), st.data())
    def test_long_logs(self, items: list[Event], data: st.DataObject) -> None:
        """Longer logs, so that mending settled states stops early and also runs to the end."""
        records = effective(to_records(items))
        dyad = data.draw(st.sampled_from(sorted({(r.actor, r.counterpart) for r in records})))
        assert intervals(records, dyad) == plain_intervals(records, dyad)


class TestRaw:
    """Raw states fold and answer as Slots do."""

    @given(crowded(20), st.sampled_from(DYADS))
    def test_step_matches_evolve(self, items: list[Event], dyad: Dyad) -> None:
        """Each dimension's Raw state after each record has the fields of its Slot."""
        states = list(raw(slot) for slot in INITIAL.slots)
        state = INITIAL
        for record in to_records(items):
            for dimension, op, operand in effects_on(record, dyad):
                i = DIMENSIONS.index(dimension)
                states[i] = step(states[i], op, operand, record.id, record.on)
            state = evolve(state, effects_on(record, dyad), record.id, record.on)
            assert [raw(slot) for slot in state.slots] == states
            for low in state.slots:
                for up in (INITIAL.slots[0], state.slots[0], low):
                    assert raw_answer(raw(low), raw(up)) == answer(low, up)

    def test_a_slot_survives_the_round_trip(self) -> None:
        """Slot(*raw(slot)) is the same slot, adders included."""
        slot = Slot(frozenset({"a"}), "2021", ("x",), (("a", "x"),))
        again = Slot(*raw(slot))
        assert again == slot and again.adders == slot.adders
        assert attrs.astuple(again, recurse=False) == raw(slot)
