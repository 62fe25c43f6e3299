"""Queries on the seeded store: the seed report's claims, end to end, and projection == fold."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tracker import projection, query
from tracker.cli import seed_files
from tracker.errors import TrackerError
from tracker.loading import load
from tracker.reducers import DIMENSIONS, INITIAL, answer
from tracker.store import Store
from tracker.timeline import at, effective

from .conftest import fixed_clock
from .strategies import boundary_days

REPORT_DAY = "2025-07-04"
TERROR = "terrorist_organizations"
NOTHING = {name: answer(INITIAL[name], INITIAL[name]) for name in DIMENSIONS}


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """One seeded store shared by this module's tests, which only read it."""
    path: Path = tmp_path_factory.mktemp("query") / "seed.db"
    with Store(path, clock=fixed_clock) as store:
        load(store, seed_files(), quiet=True)
        yield store


class TestWho:
    """query.who: the actors matching conditions toward a counterpart on a day."""

    def test_only_russia_recognizes_on_the_report_day(self, seed: Store) -> None:
        """On 2025-07-04 exactly one actor recognizes TALIBAN, and it is RUS."""
        result = query.who(seed, "TALIBAN", {"recognition": "recognized"}, REPORT_DAY)
        assert (result.actors, result.uncertain) == (["RUS"], [])

    def test_nobody_recognizes_before(self, seed: Store) -> None:
        """On 2025-05-01 no actor recognizes TALIBAN."""
        result = query.who(seed, "TALIBAN", {"recognition": "recognized"}, "2025-05-01")
        assert (result.actors, result.uncertain) == ([], [])

    def test_ambassadors_without_recognition(self, seed: Store) -> None:
        """CHN, ARE, PAK and UZB have an ambassador in Kabul and do not recognize TALIBAN."""
        where = {"envoy_sent": "ambassador", "recognition": "none"}
        result = query.who(seed, "TALIBAN", where, REPORT_DAY)
        assert result.actors == ["ARE", "CHN", "PAK", "UZB"]
        for actor in result.actors:
            found = query.state(seed, actor, "TALIBAN", REPORT_DAY).dimensions
            assert found["envoy_sent"].value == "ambassador"
            assert found["recognition"].value == "none"

    def test_set_dimensions_match_by_membership(self, seed: Store) -> None:
        """A set dimension matches when it contains the value."""
        result = query.who(seed, "TALIBAN", {"cooperation": "energy"}, REPORT_DAY)
        assert result.actors == ["RUS"]

    def test_undated_match_is_uncertain(self, seed: Store) -> None:
        """Before an open interval's end, an actor whose match depends on it is uncertain."""
        result = query.who(seed, "TALIBAN", {"envoy_sent": "ambassador"}, "2025-01-01")
        assert result.actors == [] and result.uncertain == ["ARE", "CHN", "PAK", "UZB"]

    @pytest.mark.parametrize(
        "where",
        [
            {"recogniton": "recognized"},
            {"recognition": "yes"},
            {"envoy_sent": "consul"},
            {"cooperation": "Energy Policy"},
            {},
        ],
    )
    def test_bad_conditions_raise(self, seed: Store, where: dict[str, str]) -> None:
        """Unknown dimensions, values outside the vocabulary and no condition raise TrackerError."""
        with pytest.raises(TrackerError):
            query.who(seed, "TALIBAN", where, REPORT_DAY)

    def test_unknown_dimension_lists_the_known_ones(self, seed: Store) -> None:
        """The error for an unknown dimension names the valid ones."""
        with pytest.raises(TrackerError, match="recognition"):
            query.who(seed, "TALIBAN", {"recogniton": "recognized"}, REPORT_DAY)


class TestDesignations:
    """The terrorist designation of the Taliban by Russia, its vague and corrected removal."""

    def test_designated_in_2010(self, seed: Store) -> None:
        """On 2010-01-01 RUS's designations toward TALIBAN contain terrorist_organizations."""
        found = query.state(seed, "RUS", "TALIBAN", "2010-01-01").dimensions["designations"]
        assert TERROR in found.value and not found.uncertain

    def test_removed_by_june_2025(self, seed: Store) -> None:
        """On 2025-06-01 the designation is settled gone, since the ruling of 2025-04-17."""
        found = query.state(seed, "RUS", "TALIBAN", "2025-06-01").dimensions["designations"]
        assert TERROR not in found.value
        assert (found.value, found.uncertain, found.since) == (frozenset(), False, "2025-04-17")

    def test_as_known_on_the_report_day_it_is_uncertain(self, seed: Store) -> None:
        """Known at 2025-07-04, the designation on 2025-06-01 may or may not have been removed."""
        result = query.state(seed, "RUS", "TALIBAN", "2025-06-01", known_at=REPORT_DAY)
        found = result.dimensions["designations"]
        assert found.uncertain
        assert frozenset({TERROR}) in found.possible and frozenset() in found.possible
        assert result.known_at == "2025-07-04T23:59:59Z"

    def test_known_at_far_future_equals_plain(self, seed: Store) -> None:
        """known_at after every recorded event gives the plain answer."""
        for day in ("2010-01-01", "2025-06-01", REPORT_DAY):
            plain = query.state(seed, "RUS", "TALIBAN", day).dimensions
            known = query.state(seed, "RUS", "TALIBAN", day, known_at="2099-01-01").dimensions
            assert known == plain


class TestFirst:
    """query.first: the first actor to come to match a condition."""

    def test_russia_was_first_to_recognize(self, seed: Store) -> None:
        """The first recognition of TALIBAN after 2021-08-15 is RUS's, on 2025-07-03."""
        result = query.first(seed, "TALIBAN", ("recognition", "recognized"), "2021-08-15")
        assert (result.actor, result.on) == ("RUS", "2025-07-03")
        assert result.event is not None
        assert seed.sources([result.event])[result.event]["type"] == "recognition_granted"

    def test_nobody_after_the_recognition(self, seed: Store) -> None:
        """Nobody came to recognize TALIBAN after 2025-07-04."""
        result = query.first(seed, "TALIBAN", ("recognition", "recognized"), "2025-07-04")
        assert (result.actor, result.on, result.event) == (None, None, None)


class TestState:
    """query.state: every dimension of a dyad, explained by events and their sources."""

    def test_russia_toward_taliban_on_the_report_day(self, seed: Store) -> None:
        """RUS -> TALIBAN on 2025-07-04: recognized, an ambassador received, cooperation areas."""
        result = query.state(seed, "RUS", "TALIBAN", REPORT_DAY)
        found = result.dimensions
        assert list(found) == list(DIMENSIONS)
        assert (found["recognition"].value, found["recognition"].since) == (
            "recognized",
            "2025-07-03",
        )
        assert found["envoy_received"].value == "ambassador"
        assert {"counter_terrorism", "energy"} <= found["cooperation"].value
        for name in ("recognition", "envoy_received", "cooperation"):
            assert found[name].events and not found[name].uncertain
            for event in found[name].events:
                assert result.events[event]["sources"], (name, event)
                assert all(s["title"] and s["publisher"] for s in result.events[event]["sources"])

    def test_mirror_of_the_credentials(self, seed: Store) -> None:
        """TALIBAN -> RUS on 2025-07-04 has an ambassador sent (the credentials' mirror)."""
        found = query.state(seed, "TALIBAN", "RUS", REPORT_DAY).dimensions
        assert found["envoy_sent"].value == "ambassador"
        assert found["stance"].value == "welcoming"

    def test_untouched_dyad_is_initial(self, seed: Store) -> None:
        """A dyad no event touches answers the initial state."""
        assert query.state(seed, "FRA", "TALIBAN", REPORT_DAY).dimensions == NOTHING

    def test_to_json_shape(self, seed: Store) -> None:
        """to_json carries every dimension with value, since, uncertain, possible, events and
        whether it rests only on machine-coded events."""
        data = query.state(seed, "RUS", "TALIBAN", REPORT_DAY).to_json()
        assert {"actor", "counterpart", "on", "exists", "lifespans", "dimensions"} <= set(data)
        assert set(data["dimensions"]) == set(DIMENSIONS)
        for entry in data["dimensions"].values():
            assert set(entry) == {
                "value",
                "since",
                "uncertain",
                "possible",
                "events",
                "machine_coded",
            }

    def test_sources_are_those_of_the_events_behind_the_answer(self, seed: Store) -> None:
        """`events` lists exactly the ids the dimensions name, read from the store on first use."""
        result = query.state(seed, "RUS", "TALIBAN", REPORT_DAY)
        named = {i for ans in result.dimensions.values() for i in ans.events}
        named |= {i for life in result.lifespans.values() for i in life.events}
        assert set(result.events) == named
        assert result.events == seed.sources(named)

    def test_sources_after_the_store_closed_raise_a_clear_error(self, tmp_path: Path) -> None:
        """Reading `events` first after closing the store is a TrackerError, not a crash."""
        with Store(tmp_path / "s.db", clock=fixed_clock) as store:
            load(store, seed_files(), quiet=True)
            early = query.state(store, "RUS", "TALIBAN", REPORT_DAY)
            assert early.events
            late = query.state(store, "RUS", "TALIBAN", REPORT_DAY)
        assert early.events  # read while open: kept
        with pytest.raises(TrackerError, match="sources"):
            late.events  # noqa: B018

    def test_unknown_entity_suggests_a_close_match(self, seed: Store) -> None:
        """An unknown entity raises TrackerError naming the closest known id."""
        with pytest.raises(TrackerError, match="TALIBAN"):
            query.state(seed, "RUS", "TALIBN", REPORT_DAY)
        with pytest.raises(TrackerError, match="TALIBAN"):
            query.who(seed, "TALIBN", {"recognition": "recognized"}, REPORT_DAY)

    @pytest.mark.parametrize("day", ["2025-02-30", "2025-07", "2025", "../2025-07-04", "soon"])
    def test_day_must_be_a_single_valid_day(self, seed: Store, day: str) -> None:
        """--on takes one real day; anything else raises DateError (or a TrackerError)."""
        with pytest.raises((ValueError, TrackerError)):
            query.state(seed, "RUS", "TALIBAN", day)


class TestHistory:
    """query.history: a dyad's events in replay order, withdrawn ones marked."""

    def test_history_in_replay_order(self, seed: Store) -> None:
        """History lists every event of the dyad sorted by replay key."""
        entries = query.history(seed, "RUS", "TALIBAN")
        keys = [e.record.key for e in entries]
        assert keys == sorted(keys) and len(entries) == len(seed.records(("RUS", "TALIBAN")))

    def test_correction_marks_the_vague_record(self, seed: Store) -> None:
        """The vague removal is kept, marked as withdrawn by the correction."""
        entries = query.history(seed, "RUS", "TALIBAN")
        withdrawn = [e for e in entries if e.retracted_by is not None]
        assert [e.record.event.on for e in withdrawn] == ["2025-01-01/2025-07-04"]


def test_projection_answer_equals_direct_fold(seed: Store) -> None:
    """For every seeded dyad at every day where answers change (its lifespans' too),
    projection == direct fold."""
    dyads = list(projection.all_dyads(seed.conn))
    assert len(dyads) > 5
    for dyad in dyads:
        records = effective(seed.records(dyad))
        bounds = projection.bounds(seed.conn, dyad)
        for day in [*boundary_days([*records, *bounds]), "1900-01-01", "2100-01-01"]:
            direct = at(records, dyad, day, bounds)
            stored = query.state(seed, *dyad, day).dimensions
            assert stored == direct, (dyad, day)
