"""Reducers and point-in-time folding: effects, fold laws, uncertainty, intervals, retractions."""

from __future__ import annotations

import itertools
import random
from typing import Any

import attrs
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from events import (
    EVENT_CLASSES,
    LIFESPAN_TYPES,
    AttackCarriedOut,
    CredentialsAccepted,
    DesignationAdded,
    DesignationRemoved,
    Event,
    EventRetracted,
    RecognitionGranted,
    Source,
    VisitPaid,
    event_id,
)
from tracker import query
from tracker.reducers import (
    DIMENSIONS,
    INITIAL,
    SET_DIMENSIONS,
    Answer,
    DyadState,
    answer,
    diff,
    dyads,
    effects,
    encode,
    evolve,
    fold,
    matches,
    mirror_effects,
    movers,
    raw_answer,
    rules,
)
from tracker.store import Store
from tracker.timeline import Record, at, effective, intervals, retracted_ids

from .strategies import (
    ALL_TYPES,
    FIELDS,
    LIVES,
    boundary_days,
    bounded_logs,
    corrections,
    day_texts,
    dyad_event_lists,
    event_lists,
    make_record,
    retraction_of,
    to_records,
)

SOURCE = Source(title="Report", publisher="Reuters", date="2025-07-04")
FORWARD = ("RUS", "TALIBAN")
BACKWARD = ("TALIBAN", "RUS")
NOTHING = {name: answer(INITIAL[name], INITIAL[name]) for name in DIMENSIONS}


def _settled(answers: dict[str, Answer]) -> dict[str, tuple[Any, ...]]:
    """The answers without the ids of the events behind them."""
    return {name: (a.value, a.since, a.uncertain, a.possible) for name, a in answers.items()}


def make(kind: str, on: str = "2025-07-03", actor: str = "RUS", **fields: Any) -> Event:
    """An event of type `kind` from RUS (by default) toward TALIBAN, with one source."""
    counterpart = "TALIBAN" if actor != "TALIBAN" else "RUS"
    event: Event = EVENT_CLASSES[kind](  # type: ignore[assignment]
        actor=actor, counterpart=counterpart, on=on, sources=(SOURCE,), **fields
    )
    return event


def steps(items: list[Event]) -> list[tuple[Any, str, str]]:
    """The (effects, id, on) steps that fold the forward dyad."""
    return [(effects(e), event_id(e), e.on) for e in items]


def state_at(items: list[Event], dyad: tuple[str, str], day: str) -> dict[str, Answer]:
    """The point-in-time answers of `dyad` on `day` from `items`."""
    return at(effective(to_records(items)), dyad, day)


# type, own fields, forward effects, mirror effects
EFFECTS: list[tuple[str, dict[str, str], tuple[Any, ...], tuple[Any, ...]]] = [
    ("recognition_granted", {}, (("recognition", "set", "recognized"),), ()),
    ("recognition_withdrawn", {}, (("recognition", "set", "withdrawn"),), ()),
    (
        "relations_established",
        {},
        (("relations", "set", "established"),),
        (("relations", "set", "established"),),
    ),
    (
        "relations_suspended",
        {},
        (("relations", "set", "suspended"),),
        (("relations", "set", "suspended"),),
    ),
    (
        "relations_severed",
        {},
        (("relations", "set", "severed"),),
        (("relations", "set", "severed"),),
    ),
    (
        "envoy_sent",
        {"level": "minister"},
        (("envoy_sent", "set", "minister"),),
        (("envoy_received", "set", "minister"),),
    ),
    (
        "envoy_recalled",
        {},
        (("envoy_sent", "set", "none"),),
        (("envoy_received", "set", "none"),),
    ),
    (
        "credentials_accepted",
        {"level": "ambassador"},
        (("envoy_received", "set", "ambassador"),),
        (("envoy_sent", "set", "ambassador"),),
    ),
    (
        "envoy_expelled",
        {},
        (("envoy_received", "set", "none"),),
        (("envoy_sent", "set", "none"),),
    ),
    ("designation_added", {"designation": "x_list"}, (("designations", "add", "x_list"),), ()),
    (
        "designation_removed",
        {"designation": "x_list"},
        (("designations", "remove", "x_list"),),
        (),
    ),
    ("sanctions_imposed", {"measure": "asset_freeze"}, (("sanctions", "add", "asset_freeze"),), ()),
    (
        "sanctions_lifted",
        {"measure": "asset_freeze"},
        (("sanctions", "remove", "asset_freeze"),),
        (),
    ),
    ("intervention_started", {}, (("military", "set", "intervention"),), ()),
    ("intervention_ended", {}, (("military", "set", "none"),), ()),
    ("membership_joined", {}, (("membership", "set", "member"),), ()),
    ("membership_suspended", {}, (("membership", "set", "suspended"),), ()),
    ("membership_left", {}, (("membership", "set", "left"),), ()),
    ("control_taken", {}, (("control", "set", "governs"),), ()),
    ("control_lost", {}, (("control", "set", "none"),), ()),
    ("cooperation_agreed", {"area": "energy"}, (("cooperation", "add", "energy"),), ()),
    ("cooperation_ended", {"area": "energy"}, (("cooperation", "remove", "energy"),), ()),
    ("statement_made", {"stance": "partner"}, (("stance", "set", "partner"),), ()),
    ("attack_carried_out", {"summary": "an attack"}, (), ()),
    ("visit_paid", {}, (), ()),
    ("event_retracted", {"target": "0" * 24, "reason": "wrong"}, (), ()),
]


class TestEffects:
    """effects / mirror_effects / dyads: what each event type does to which dyad."""

    def test_table_covers_every_type(self) -> None:
        """The effects table names every event type about a dyad once (lifespans bound dyads)."""
        assert sorted(row[0] for row in EFFECTS) == sorted(set(ALL_TYPES) - LIFESPAN_TYPES)

    @pytest.mark.parametrize(("kind", "fields", "forward", "mirror"), EFFECTS)
    def test_effects(
        self, kind: str, fields: dict[str, str], forward: tuple[Any, ...], mirror: tuple[Any, ...]
    ) -> None:
        """Each event type moves exactly its dimension(s), forward and mirrored."""
        event = make(kind, **fields)
        assert effects(event) == forward
        assert mirror_effects(event) == mirror
        expected = (FORWARD, BACKWARD) if mirror else (FORWARD,)
        assert dyads(event) == expected

    @pytest.mark.parametrize(("kind", "fields", "forward", "mirror"), EFFECTS)
    def test_fold_applies_the_effect(
        self, kind: str, fields: dict[str, str], forward: tuple[Any, ...], mirror: tuple[Any, ...]
    ) -> None:
        """Folding one event puts its operand into the dimension it names, on both dyads."""
        event = make(kind, "2024-03", **fields)
        for dyad, moved in ((FORWARD, forward), (BACKWARD, mirror)):
            found = state_at([event], dyad, "2025-01-01")
            touched = {dimension for dimension, _, _ in moved}
            for dimension, op, operand in moved:
                ans = found[dimension]
                unchanged = op == "remove" or (op == "set" and operand == "none")
                assert ans.since == (None if unchanged else "2024-03")
                # removing a member that is not there changes nothing and cites nothing
                assert ans.events == (() if op == "remove" else (event_id(event),))
                if op == "set":
                    assert ans.value == operand
                else:
                    assert matches(ans.value, operand) == (op == "add")
            assert all(found[d] == NOTHING[d] for d in DIMENSIONS if d not in touched)

    @pytest.mark.parametrize("kind", ["relations_established", "relations_severed"])
    def test_symmetric_relations_update_both_dyads(self, kind: str) -> None:
        """A relations event sets the same value on actor->counterpart and counterpart->actor."""
        event = make(kind)
        forward = state_at([event], FORWARD, "2025-07-04")["relations"]
        backward = state_at([event], BACKWARD, "2025-07-04")["relations"]
        assert forward == backward and forward.value == kind.split("_")[1]

    def test_credentials_accepted_mirrors_to_envoy_sent(self) -> None:
        """Accepting TALIBAN's ambassador means TALIBAN has sent an ambassador to RUS."""
        event = CredentialsAccepted(
            actor="RUS",
            counterpart="TALIBAN",
            on="2025-07-03",
            sources=(SOURCE,),
            level="ambassador",
        )
        assert state_at([event], FORWARD, "2025-07-04")["envoy_received"].value == "ambassador"
        mirrored = state_at([event], BACKWARD, "2025-07-04")
        assert mirrored["envoy_sent"].value == "ambassador"
        assert mirrored["envoy_received"] == NOTHING["envoy_received"]

    def test_unrelated_dyads_are_untouched(self) -> None:
        """An event moves no dyad but its own and its mirror."""
        event = make("relations_established")
        assert state_at([event], ("RUS", "CHN"), "2025-07-04") == NOTHING

    @pytest.mark.parametrize(
        ("add", "remove", "field"),
        [
            ("designation_added", "designation_removed", "designation"),
            ("sanctions_imposed", "sanctions_lifted", "measure"),
            ("cooperation_agreed", "cooperation_ended", "area"),
        ],
    )
    def test_set_dimensions_add_and_remove(self, add: str, remove: str, field: str) -> None:
        """Set dimensions accumulate members and drop exactly the one removed."""
        items = [
            make(add, "2020", **{field: "alpha"}),
            make(add, "2021", **{field: "beta"}),
            make(remove, "2022", **{field: "alpha"}),
        ]
        dimension = effects(items[0])[0][0]
        assert dimension in SET_DIMENSIONS
        assert state_at(items, FORWARD, "2021-12-31")[dimension].value == {"alpha", "beta"}
        final = state_at(items, FORWARD, "2023-01-01")[dimension]
        assert final.value == {"beta"} and final.since == "2022"
        assert state_at(items[2:], FORWARD, "2023-01-01")[dimension].value == frozenset()

    def test_corroborating_event_keeps_since_and_adds_its_id(self) -> None:
        """A second event confirming the value keeps the first date and lists both ids."""
        first = make("recognition_granted", "2025-07")
        second = RecognitionGranted(
            actor="RUS",
            counterpart="TALIBAN",
            on="2025-07-03",
            sources=(Source(title="Other", publisher="AP", date="2025-07-04"),),
        )
        found = state_at([first, second], FORWARD, "2025-08-01")["recognition"]
        assert found.value == "recognized" and found.since == "2025-07"
        assert found.events == (event_id(first), event_id(second))

    def test_repeated_set_member_keeps_its_first_event(self) -> None:
        """Adding a member already in a set changes nothing: the first adder stays behind it."""
        first = make("cooperation_agreed", "2025-07-03", area="energy")
        second = make("cooperation_agreed", "2025-08", area="energy")
        found = state_at([first, second], FORWARD, "2025-09-01")["cooperation"]
        assert found.value == {"energy"} and found.since == "2025-07-03"
        assert found.events == (event_id(first),)

    def test_set_events_name_each_member_and_the_last_removal(self) -> None:
        """A set's events are the adders of its members, then the removal that changed it last."""
        energy = make("cooperation_agreed", "2025-01", area="energy")
        trade = make("cooperation_agreed", "2025-02", area="counter_terrorism")
        ended = make("cooperation_ended", "2025-03", area="energy")
        found = state_at([energy, trade, ended], FORWARD, "2025-09-01")["cooperation"]
        assert found.value == {"counter_terrorism"} and found.since == "2025-03"
        assert found.events == (event_id(trade), event_id(ended))

    @pytest.mark.parametrize(
        "event",
        [
            AttackCarriedOut(
                actor="ISIS",
                counterpart="RUS",
                on="2024-03",
                sources=(SOURCE,),
                summary="attack",
                killed=149,
            ),
            VisitPaid(actor="RUS", counterpart="TALIBAN", on="2025-07", sources=(SOURCE,)),
        ],
    )
    def test_incidents_change_nothing(self, event: Event) -> None:
        """Attacks and visits leave every dimension of every dyad as it was."""
        assert effects(event) == () and mirror_effects(event) == ()
        assert evolve(INITIAL, effects(event), event_id(event), event.on) == INITIAL
        dyad = (event.actor, event.counterpart)
        assert state_at([event], dyad, "2026-01-01") == NOTHING


class TestFold:
    """fold / evolve: a pure left fold over (effects, id, on) steps."""

    @given(event_lists(actors=("RUS", "TALIBAN"), max_size=8), st.integers(0, 8))
    def test_fold_of_concatenation(self, items: list[Event], cut: int) -> None:
        """fold(a + b) == fold(b, starting from fold(a))."""
        whole = steps(items)
        a, b = whole[:cut], whole[cut:]
        assert fold(a + b) == fold(b, fold(a))

    @given(event_lists(max_size=8), event_lists(max_size=8))
    def test_fold_is_pure(self, items: list[Event], other: list[Event]) -> None:
        """A fold is its steps applied one by one by evolve, whatever was folded before it."""
        expected = INITIAL
        for step_effects, key, on in steps(items):
            expected = evolve(expected, step_effects, key, on) if step_effects else expected
        assert fold(steps(items)) == expected
        fold(steps(other))
        assert fold(steps(items)) == expected and DyadState() == INITIAL

    def test_values_lists_every_dimension(self) -> None:
        """The initial state has every dimension at its default value."""
        values = INITIAL.values()
        assert list(values) == list(DIMENSIONS)
        assert all(values[d] == (frozenset() if d in SET_DIMENSIONS else "none") for d in values)


class TestPointInTime:
    """timeline.at: settled (lower) and possible (upper) folds, and replay order."""

    WINDOW = make(
        "designation_added", "2025-01-01/2025-07-04", designation="terrorist_organizations"
    )

    def test_before_the_window_nothing_is_known(self) -> None:
        """Before the window opens the event has no effect and no uncertainty."""
        assert state_at([self.WINDOW], FORWARD, "2024-12-31") == NOTHING

    @pytest.mark.parametrize("day", ["2025-01-01", "2025-03-01", "2025-07-03"])
    def test_inside_the_window_it_is_uncertain(self, day: str) -> None:
        """Within the window the answer is the settled value, flagged, with both possibilities."""
        found = state_at([self.WINDOW], FORWARD, day)["designations"]
        assert found.uncertain
        assert found.value == frozenset()
        assert found.possible == (frozenset(), frozenset({"terrorist_organizations"}))
        assert found.events == (event_id(self.WINDOW),)

    @pytest.mark.parametrize("day", ["2025-07-04", "2025-07-05", "2030-01-01"])
    def test_after_the_window_it_is_settled(self, day: str) -> None:
        """From the window's last day on the event is settled."""
        found = state_at([self.WINDOW], FORWARD, day)["designations"]
        assert not found.uncertain
        assert found.value == {"terrorist_organizations"}
        assert found.since == "2025-01-01/2025-07-04"

    def test_uncertain_recognition(self) -> None:
        """A recognition dated within a window could be either value inside it."""
        event = make("recognition_granted", "2025-01-01/2025-07-04")
        found = state_at([event], FORWARD, "2025-03-01")["recognition"]
        assert (found.value, found.uncertain, found.possible) == (
            "none",
            True,
            ("none", "recognized"),
        )
        assert state_at([event], FORWARD, "2025-07-05")["recognition"].value == "recognized"

    @given(dyad_event_lists(), st.randoms(use_true_random=False), st.data())
    def test_replay_order_is_deterministic(
        self, items: list[Event], rng: random.Random, data: st.DataObject
    ) -> None:
        """In whatever order records arrive, they replay by earliest day, latest day, then seq."""
        records = to_records(items)
        shuffled = records[:]
        rng.shuffle(shuffled)
        expected = sorted(records, key=lambda r: (r.earliest, r.latest, r.seq))
        assert effective(shuffled) == effective(records) == expected
        day = data.draw(st.sampled_from(boundary_days(records)))
        for dyad in (FORWARD, BACKWARD):
            assert at(effective(shuffled), dyad, day) == at(expected, dyad, day)

    @pytest.mark.parametrize("flip", [False, True])
    def test_of_two_events_on_one_window_the_later_logged_applies_last(self, flip: bool) -> None:
        """Two events on the same window (written at different precisions) apply in seq order."""
        first = make("envoy_sent", "2021-05", level="ambassador")
        second = make("envoy_sent", "2021-05-01/2021-05-31", level="charge_d_affaires")
        records = to_records([first, second])
        answer = at(effective(records[::-1] if flip else records), FORWARD, "2021-06-01")
        assert answer["envoy_sent"].value == "charge_d_affaires"


def from_intervals(records: list[Record], dyad: tuple[str, str], day: str) -> dict[str, Answer]:
    """The answers on `day` read from `intervals` (the initial answer where none covers it)."""
    found: dict[str, Answer] = {}
    for row in intervals(records, dyad):
        if row.valid_from <= day and (row.valid_to is None or day < row.valid_to):
            assert row.dimension not in found, f"overlapping intervals for {row.dimension}"
            found[row.dimension] = row.answer
    return {name: found.get(name, NOTHING[name]) for name in DIMENSIONS}


class TestIntervals:
    """timeline.intervals: the materialized answers over time."""

    @given(dyad_event_lists(), st.data())
    def test_projection_answer_equals_direct_fold(
        self, items: list[Event], data: st.DataObject
    ) -> None:
        """For random records, dyad and day, the interval covering the day answers like `at`."""
        records = effective(to_records(items))
        dyad = data.draw(st.sampled_from([FORWARD, BACKWARD, ("CHN", "RUS"), ("RUS", "CHN")]))
        days = st.sampled_from(boundary_days(records)) | day_texts(2019, 2023)
        for day in data.draw(st.lists(days, min_size=1, max_size=6)):
            assert from_intervals(records, dyad, day) == at(records, dyad, day), day

    @given(dyad_event_lists())
    def test_intervals_are_ordered_and_disjoint(self, items: list[Event]) -> None:
        """Per dimension, intervals are non-empty, sorted and do not overlap."""
        rows = intervals(effective(to_records(items)), FORWARD)
        for name in DIMENSIONS:
            mine = [r for r in rows if r.dimension == name]
            for row in mine:
                assert row.valid_to is None or row.valid_from < row.valid_to
            for before, after in itertools.pairwise(mine):
                assert before.valid_to is not None and before.valid_to <= after.valid_from

    def test_no_events_no_intervals(self) -> None:
        """A dyad without events has no intervals: the initial state is implicit."""
        assert intervals([], FORWARD) == []


class TestRetractions:
    """timeline.effective / retracted_ids: corrections withdraw events without deleting them."""

    def test_retracted_target_is_dropped(self) -> None:
        """A retraction removes its target from the effective records."""
        [granted] = to_records([make("recognition_granted")])
        records = to_records([granted.event, retraction_of(granted)])
        assert [r.id for r in effective(records)] == [records[1].id]
        assert state_at([r.event for r in records], FORWARD, "2026-01-01") == NOTHING

    def test_retracted_retraction_restores_its_target(self) -> None:
        """Withdrawing a retraction brings its target back."""
        [granted] = to_records([make("recognition_granted")])
        first = to_records([granted.event, retraction_of(granted)])[1]
        second = retraction_of(first, "the retraction was itself wrong")
        records = to_records([granted.event, first.event, second])
        assert retracted_ids(records) == {first.id}
        assert granted.id in {r.id for r in effective(records)}
        answers = at(effective(records), FORWARD, "2026-01-01")
        assert answers["recognition"].value == "recognized"

    def test_correction_replaces_its_target(self) -> None:
        """An event naming another in `corrects` withdraws it and stands in its place."""
        vague = make("designation_removed", "2025-01-01/2025-07-04", designation="terror")
        [old] = to_records([vague])
        precise = DesignationRemoved(
            actor="RUS",
            counterpart="TALIBAN",
            on="2025-04-17",
            sources=(SOURCE,),
            designation="terror",
            corrects=old.id,
        )
        added = DesignationAdded(
            actor="RUS", counterpart="TALIBAN", on="2003", sources=(SOURCE,), designation="terror"
        )
        found = state_at([added, vague, precise], FORWARD, "2025-06-01")["designations"]
        assert (found.value, found.uncertain, found.since) == (frozenset(), False, "2025-04-17")

    @given(dyad_event_lists(), st.data())
    def test_a_correction_answers_as_if_its_target_had_been_moved(
        self, items: list[Event], data: st.DataObject
    ) -> None:
        """A log with a correction answers, on every day, as the log with its target moved."""
        records = to_records(items)
        assume(records)
        target, correction = data.draw(corrections(records))
        moved = attrs.evolve(correction, corrects=None)
        rest = [e for e in items if event_id(e) != target.id]
        assume(event_id(moved) not in {event_id(e) for e in rest})
        corrected = effective(to_records([*items, correction]))
        replaced = effective(to_records([*rest, moved]))
        days = st.sampled_from(boundary_days([*corrected, *replaced]))
        for day in data.draw(st.lists(days, min_size=1, max_size=4)):
            for dyad in (FORWARD, BACKWARD, ("CHN", "RUS"), ("RUS", "CHN")):
                assert _settled(at(corrected, dyad, day)) == _settled(at(replaced, dyad, day))

    def test_the_seed_correction_keeps_the_designation_before_its_day(self, seeded: Store) -> None:
        """Before the corrected removal's day the designation still held, settled (the vague
        removal it replaced would leave the day uncertain)."""
        found = query.state(seeded, "RUS", "TALIBAN", "2025-03-01").dimensions["designations"]
        assert (found.value, found.uncertain) == (frozenset({"terrorist_organizations"}), False)

    def test_known_at_sees_only_what_was_recorded(self) -> None:
        """effective(known_at=T) ignores records recorded after T, and their retractions."""
        [granted] = to_records([make("recognition_granted")], recorded="2025-07-04T23:59:59Z")
        retraction = retraction_of(granted)
        records = [granted, make_record(2, retraction, "2025-08-01T00:00:00Z")]
        assert [r.id for r in effective(records, "2025-07-05T00:00:00Z")] == [granted.id]
        assert granted.id not in {r.id for r in effective(records)}

    def test_effective_is_in_replay_order(self) -> None:
        """Effective records come sorted by (earliest, latest, seq)."""
        items = [
            make("recognition_granted", "2025-07-03"),
            make("cooperation_agreed", "2024", area="energy"),
            make("statement_made", "../2025-07-04", stance="partner"),
        ]
        records = effective(to_records(items))
        assert [r.key for r in records] == sorted(r.key for r in records)
        assert records[0].event.type == "statement_made"

    def test_retraction_event_class(self) -> None:
        """A retraction names its target and its reason and has no effect of its own."""
        event = EventRetracted(
            actor="RUS",
            counterpart="TALIBAN",
            on="2025",
            sources=(SOURCE,),
            target="a" * 24,
            reason="duplicate",
        )
        assert effects(event) == () and FIELDS["event_retracted"].keys() == {"target", "reason"}


@pytest.mark.parametrize("count", [8, 9, 20, 21])
def test_events_behind_a_value_are_capped(count: int) -> None:
    """A value corroborated many times keeps its first event and the latest ones, eight at most."""
    from tracker.reducers import INITIAL, MAX_EVENTS, evolve

    state = INITIAL
    effect = (("stance", "set", "partner"),)
    for i in range(count):
        state = evolve(state, effect, f"id{i:02d}", f"20{i:02d}")
    slot = state["stance"]
    assert slot.since == "2000"
    latest = [f"id{i:02d}" for i in range(max(1, count - MAX_EVENTS + 1), count)]
    assert slot.events == ("id00", *latest)


class TestOneFactPerEnvoy:
    """A head of mission from A at B is A's envoy_sent toward B and B's envoy_received from A."""

    @settings(max_examples=max(10, settings().max_examples // 3), deadline=None)
    @given(bounded_logs(), st.data())
    def test_the_two_views_agree(self, items: list[Event], data: st.DataObject) -> None:
        """For any log (lifespans too), dyad and day, A's envoy_sent toward B equals B's
        envoy_received from A, value, date, uncertainty and events alike."""
        records = to_records(items)
        standing = effective(records)
        lives = [r for r in standing if r.type in LIFESPAN_TYPES]
        plain = [r for r in standing if r.type not in LIFESPAN_TYPES]
        actor, counterpart = data.draw(st.permutations(LIVES))[:2]
        ahead = (actor, counterpart)
        back = (counterpart, actor)
        bounds = [r for r in lives if r.actor in ahead]
        for day in boundary_days(records):
            sent = at(plain, ahead, day, bounds)["envoy_sent"]
            received = at(plain, back, day, bounds)["envoy_received"]
            assert sent == received, day
        one = [i for i in intervals(plain, ahead, bounds) if i.dimension == "envoy_sent"]
        two = [i for i in intervals(plain, back, bounds) if i.dimension == "envoy_received"]
        assert [(i.valid_from, i.valid_to, i.answer) for i in one] == [
            (i.valid_from, i.valid_to, i.answer) for i in two
        ]


class TestSmallHelpers:
    """The reducers' helpers, each against answers written by hand."""

    def test_movers_are_the_types_whose_rules_touch_a_dimension(self) -> None:
        """The movers of envoy_received: the envoy events, on the dyad or its mirror; of
        nothing: none."""
        assert movers(["envoy_received"]) == {
            "credentials_accepted", "envoy_expelled", "envoy_sent", "envoy_recalled",
        }  # fmt: skip
        assert movers(["recognition", "military"]) == {
            "recognition_granted", "recognition_withdrawn", "intervention_started",
            "intervention_ended",
        }  # fmt: skip
        assert movers([]) == frozenset()

    def test_diff_names_each_dimension_whose_value_changed(self) -> None:
        """diff lists (dimension, old, new) for the values that differ, in dimension order."""
        after = fold([(rules("recognition_granted", None), "e1", "2020")])
        after = fold([(rules("envoy_sent", "ambassador"), "e2", "2021")], after)
        assert list(diff(INITIAL, after)) == [
            ("recognition", "none", "recognized"),
            ("envoy_sent", "none", "ambassador"),
        ]
        assert list(diff(after, after)) == []

    def test_matches_and_encode(self) -> None:
        """A single value matches only itself; a set matches its members. encode makes sets
        sorted lists and leaves texts alone."""
        assert matches("recognized", "recognized") and not matches("recognized", "withdrawn")
        assert matches(frozenset({"a", "b"}), "a") and not matches(frozenset({"a"}), "b")
        assert encode("recognized") == "recognized"
        assert encode(frozenset({"b", "a"})) == ["a", "b"]

    def test_an_uncertain_answer_keeps_the_settled_since(self) -> None:
        """Where later knowledge could change a value, the answer still says since when the
        settled value holds, and names the events behind both."""
        lower = ("recognized", "2019", ("e0",), ())
        upper = ("withdrawn", "2020-01/2020-12", ("e1",), ())
        assert raw_answer(lower, upper) == Answer(
            "recognized", "2019", True, ("recognized", "withdrawn"), ("e0", "e1")
        )
