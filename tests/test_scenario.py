"""Scenarios: hypothetical additions and retractions compared with the baseline, never written."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from events import Event, RecognitionGranted, Source, event_id
from tracker import dates, query
from tracker.cli import seed_files
from tracker.errors import LedgerError
from tracker.loading import load
from tracker.reducers import DIMENSIONS
from tracker.scenario import Retraction, Scenario
from tracker.store import Store
from tracker.timeline import at, effective

from .conftest import Cli
from .strategies import events, retraction_of

SCENARIOS = Path(__file__).resolve().parent.parent / "seeds" / "scenarios"
CHINA = SCENARIOS / "china_recognises_taliban.toml"
NEVER_LIFTED = SCENARIOS / "designation_never_lifted.toml"


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """One seeded store for the property tests, which only read it."""
    with Store(tmp_path_factory.mktemp("shared") / "seed.db") as store:
        load(store, seed_files(), quiet=True)
        yield store


def _fingerprint(store: Store) -> tuple[int, tuple[int, str], str]:
    """The event count, the chain head and a hash of the database file's bytes."""
    data = Path(store.path).read_bytes()
    return store.count(), store.head(), hashlib.sha256(data).hexdigest()


def _copy(scenario: Path, folder: Path) -> str:
    """Copy a seed scenario beside the test's own files (a base must sit in its folder)."""
    (folder / scenario.name).write_text(scenario.read_text(encoding="utf-8"), encoding="utf-8")
    return scenario.name


# a few types on a few dyads and years, so that added events often move what the log moves
FEW = events(
    (
        "recognition_granted",
        "recognition_withdrawn",
        "credentials_accepted",
        "envoy_sent",
        "envoy_recalled",
        "designation_added",
        "designation_removed",
        "visit_paid",
    ),
    actors=("RUS", "TALIBAN", "CHN"),
    min_year=2020,
    max_year=2022,
    recorded=st.none(),
)


def boundary_days_2020s() -> list[str]:
    """Days around the edges of the years, months and weeks the crowded logs use."""
    found = {
        f"{y}-{m:02d}-{d:02d}"
        for y in (2019, 2020, 2021, 2022, 2023)
        for m in (1, 6, 12)
        for d in (1, 15, 28)
    }
    return sorted(found | {"2019-12-31", "2020-12-31", "2021-12-31", "2022-12-31"})


def _around(day: str) -> list[str]:
    """A day and the days either side of it (open ends left out)."""
    if not "0001-01-01" < day < "9999-12-31":
        return []
    middle = dt.date.fromisoformat(day)
    return [(middle + dt.timedelta(days=k)).isoformat() for k in (-1, 0, 1)]


def scenario_days(data: st.DataObject, events: Sequence[Event], count: int = 4) -> list[str]:
    """Days to ask a scenario about: the edges of the events' own windows (the day before,
    the first day, the last day, the day after), the crowded years' boundaries, or any day
    between 1900 and 2100."""
    edges = sorted(
        {
            near
            for e in events
            for bound in (dates.parse(e.on).earliest, dates.parse(e.on).latest)
            for near in _around(bound)
        }
    )
    other = st.sampled_from(boundary_days_2020s()) | st.dates(
        dt.date(1900, 1, 1), dt.date(2100, 12, 31)
    ).map(dt.date.isoformat)
    # two days in three at an edge, where intervals begin and end
    some = other if not edges else st.sampled_from(edges) | st.sampled_from(edges) | other
    return data.draw(st.lists(some, min_size=1, max_size=count), label="days")


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


class TestSeedScenarios:
    def test_china_recognition_changes_only_china(self, seeded: Store) -> None:
        """The China scenario reports CHN -> TALIBAN recognition going from none to recognized."""
        result = Scenario.from_file(CHINA).run(seeded, ["2026-06-01"])
        (diff,) = result.dates["2026-06-01"]
        assert (diff.dyad, diff.dimension) == (("CHN", "TALIBAN"), "recognition")
        assert (diff.baseline.value, diff.scenario.value) == ("none", "recognized")
        assert diff.events == result.added
        assert result.touched == (("CHN", "TALIBAN"),)

    def test_china_scenario_before_its_date_changes_nothing(self, seeded: Store) -> None:
        """On 2025-12-31, before the hypothetical recognition, nothing differs."""
        result = Scenario.from_file(CHINA).run(seeded)
        assert result.dates["2025-12-31"] == ()
        assert len(result.dates["2026-06-01"]) == 1

    def test_china_scenario_leaves_the_real_answer_alone(self, seeded: Store) -> None:
        """After running the scenario, who recognizes TALIBAN is still only RUS."""
        Scenario.from_file(CHINA).run(seeded, ["2026-06-01"])
        found = query.who(seeded, "TALIBAN", {"recognition": "recognized"}, "2026-06-01")
        assert found.actors == ["RUS"]

    def test_never_lifted_keeps_the_designation(self, seeded: Store) -> None:
        """Without the removal, RUS still designates TALIBAN a terrorist organization in 2025."""
        result = Scenario.from_file(NEVER_LIFTED).run(seeded, ["2025-06-01", "2025-07-04"])
        for day in ("2025-06-01", "2025-07-04"):
            (diff,) = result.dates[day]
            assert (diff.dyad, diff.dimension) == (("RUS", "TALIBAN"), "designations")
            assert diff.scenario.value == frozenset({"terrorist_organizations"})
            assert diff.baseline.value == frozenset()
        assert len(result.retracted) == 2  # the vague record and its correction

    def test_never_lifted_keeps_the_recognition(self, seeded: Store) -> None:
        """Retracting the removal leaves the recognition of 2025-07-03 in place."""
        result = Scenario.from_file(NEVER_LIFTED).run(seeded, ["2025-07-04"])
        assert all(d.dimension != "recognition" for d in result.dates["2025-07-04"])
        assert (
            query.state(seeded, "RUS", "TALIBAN", "2025-07-04").dimensions["recognition"].value
            == "recognized"
        )

    @pytest.mark.parametrize("path", [CHINA, NEVER_LIFTED])
    def test_scenario_writes_nothing(self, seeded: Store, path: Path) -> None:
        """Running a scenario (adding or retracting) leaves count, chain and file bytes alone."""
        before = _fingerprint(seeded)
        Scenario.from_file(path).run(seeded, ["2025-06-01", "2026-06-01"])
        assert _fingerprint(seeded) == before
        assert seeded.verify() == []

    def test_sourced_additions_and_stored_retractions_write_nothing(
        self, seeded_cli: Cli, tmp_path: Path
    ) -> None:
        """A scenario adding sourced events and retracting stored ones (by id, by match with
        `on`) answers from them, yet leaves the store's count, chain and file bytes alone."""
        with Store(seeded_cli.db) as store:
            (granted,) = [r for r in store.scan() if r.type == "recognition_granted"]
            before = _fingerprint(store)
        path = _write(
            tmp_path,
            "sourced.toml",
            'name = "sourced"\ncompare_on = [2026-06-01]\n'
            '[[add]]\ntype = "recognition_granted"\nactor = "CHN"\ncounterpart = "TALIBAN"\n'
            'on = 2026-01-01\n[[add.sources]]\ntitle = "A report"\npublisher = "A wire"\n'
            'date = "2026"\n'
            f'[[retract]]\nid = "{granted.id[:10]}"\n'
            '[[retract]]\ntype = "designation_removed"\nactor = "RUS"\ncounterpart = "TALIBAN"\n'
            'on = "2025-04-17"\n',
        )
        result = seeded_cli("scenario", str(path), "--json")
        assert result.exit_code == 0, result.output
        data = json.loads(result.output)
        with Store(seeded_cli.db) as store:
            (removed,) = [r.id for r in store.scan() if r.on == "2025-04-17"]
        assert len(data["added"]) == 1 and data["retracted"] == [granted.id, removed]
        changed = {(c["actor"], c["dimension"]) for c in data["dates"][0]["changes"]}
        assert {("CHN", "recognition"), ("RUS", "recognition")} <= changed
        with Store(seeded_cli.db) as store:
            assert _fingerprint(store) == before
            assert store.verify() == []


class TestScenarioLaws:
    @given(days=st.lists(st.dates().map(lambda d: d.isoformat()), min_size=1, max_size=4))
    def test_empty_scenario_equals_baseline(self, shared: Store, days: list[str]) -> None:
        """A scenario that adds and retracts nothing differs from the baseline nowhere."""
        result = Scenario(name="nothing").run(shared, days)
        assert result.touched == ()
        assert all(diffs == () for diffs in result.dates.values())

    @given(event=events(actors=("RUS", "CHN", "TALIBAN", "PAK")), data=st.data())
    def test_add_then_retract_equals_baseline(
        self, shared: Store, event: Event, data: st.DataObject
    ) -> None:
        """Adding a hypothetical event and retracting it by id changes nothing, on any day
        (its window's edges included)."""
        marked = attrs.evolve(event, hypothetical=True, recorded=None)
        retract = Retraction("<test>", 1, id=event_id(marked))
        days = scenario_days(data, [marked])
        result = Scenario(name="undo", adds=(marked,), retracts=(retract,)).run(shared, days)
        assert all(result.dates[day] == () for day in days)

    @settings(max_examples=max(settings().max_examples // 2, 10))  # a store each: dev 15, ci 100
    @given(
        log=st.lists(FEW, max_size=16),
        retract_first=st.booleans(),
        added=st.lists(FEW, min_size=1, max_size=3),
        data=st.data(),
    )
    def test_differences_equal_those_of_a_full_refold(
        self, log: list[Event], retract_first: bool, added: list[Event], data: st.DataObject
    ) -> None:
        """Whatever the scenario folds, it reports exactly the differences of refolding every
        touched dyad in full, in every dimension, with and without the scenario's events, on
        any day: the edges of the events' windows, the crowded years' boundaries, or any other."""
        pairs = {frozenset((e.actor, e.counterpart)) for e in added}
        near = [e for e in log if frozenset((e.actor, e.counterpart)) in pairs]
        days = scenario_days(data, [*near, *added])  # the edges of what the scenario moves
        with tempfile.TemporaryDirectory() as folder, Store(Path(folder) / "s.db") as store:
            store.append([], [_taliban()])
            store.append(log)
            if retract_first and log:
                store.append([retraction_of(store.scan().__next__())])
            marked = tuple(attrs.evolve(e, hypothetical=True, recorded=None) for e in added)
            result = Scenario(name="p", adds=marked).run(store, days)
            mine = Scenario(name="p", adds=marked).records(store.head()[0])
            by_id = {r.id: r for r in mine}
            expected: dict[str, list[tuple[object, ...]]] = {day: [] for day in days}
            for dyad in result.touched:
                stored = store.records(dyad)
                ours = [r for r in mine if dyad in store.reach(r, by_id)]
                base, alt = effective(stored), effective([*stored, *ours])
                for day in days:
                    before, after = at(base, dyad, day), at(alt, dyad, day)
                    expected[day].extend(
                        (dyad, name, before[name], after[name])
                        for name in DIMENSIONS
                        if before[name] != after[name]
                    )
            found = {
                day: [(d.dyad, d.dimension, d.baseline, d.scenario) for d in diffs]
                for day, diffs in result.dates.items()
            }
            assert found == {day: expected[day] for day in result.dates}

    def test_cost_grows_with_touched_dyads_not_the_log(self, tmp_path: Path) -> None:
        """A scenario folds the events of the dyads it touches, however large the log."""
        source = (Source(title="t", publisher="p", date="2020"),)
        target = [
            RecognitionGranted(actor="RUS", counterpart="TALIBAN", on=f"20{10 + i}", sources=source)
            for i in range(3)
        ]
        noise = [
            RecognitionGranted(actor=a, counterpart="AFG", on=f"{1900 + i}", sources=source)
            for i in range(120)
            for a in ("CHN", "USA", "PAK")
        ]
        scenario = Scenario(
            name="one",
            adds=(RecognitionGranted(actor="RUS", counterpart="TALIBAN", on="2030", sources=()),),
        )
        folded = []
        for name, log in (("small", target), ("large", target + noise)):
            with Store(tmp_path / f"{name}.db") as store:
                store.append([], [_taliban()])
                store.append(log)
                folded.append(scenario.run(store, ["2031-01-01"]).folded)
        assert folded[0] == folded[1] == len(target) + 1


def _taliban() -> object:
    from tracker.entities import Entity

    return Entity("TALIBAN", "Taliban", "government")


class TestScenarioFiles:
    def test_retract_match_that_finds_nothing_is_an_error(
        self, seeded: Store, tmp_path: Path
    ) -> None:
        """A retract entry that matches no event names the file and line."""
        path = _write(
            tmp_path,
            "bad.toml",
            'name = "x"\n\n[[retract]]\ntype = "recognition_granted"\n'
            'actor = "CHN"\ncounterpart = "TALIBAN"\n',
        )
        with pytest.raises(LedgerError, match=r"bad\.toml:3: retract: no event matches"):
            Scenario.from_file(path).run(seeded, ["2025-01-01"])

    def test_base_scenario_is_built_upon(self, seeded: Store, tmp_path: Path) -> None:
        """A scenario with `base` carries the base's changes and adds its own."""
        path = _write(
            tmp_path,
            "more.toml",
            f'name = "more"\nbase = "{_copy(CHINA, tmp_path)}"\n\n'
            '[[add]]\ntype = "recognition_granted"\n'
            'actor = "PAK"\ncounterpart = "TALIBAN"\non = 2026-02-01\n',
        )
        result = Scenario.from_file(path).run(seeded, ["2026-06-01"])
        assert {d.dyad for d in result.dates["2026-06-01"]} == {
            ("CHN", "TALIBAN"),
            ("PAK", "TALIBAN"),
        }

    def test_base_loop_is_an_error(self, tmp_path: Path) -> None:
        """A scenario whose base chain loops back is refused."""
        path = _write(tmp_path, "loop.toml", 'name = "loop"\nbase = "loop.toml"\n')
        with pytest.raises(LedgerError, match="loops back"):
            Scenario.from_file(path)

    def test_bad_add_names_file_and_line(self, tmp_path: Path) -> None:
        """An invalid [[add]] event is reported with the file and the line of its table."""
        path = _write(
            tmp_path,
            "bad.toml",
            'name = "x"\n\n[[add]]\ntype = "recognition_granted"\n'
            'actor = "CHN"\ncounterpart = "TALIBAN"\non = "2025-02-30"\n',
        )
        with pytest.raises(LedgerError, match=r"bad\.toml:3: .*2025-02-30"):
            Scenario.from_file(path)

    def test_known_at_uses_the_log_as_known_then(self, seeded: Store, tmp_path: Path) -> None:
        """With known_at before the correction, the baseline has the vaguely dated removal."""
        path = _write(
            tmp_path,
            "k.toml",
            f'name = "k"\nbase = "{_copy(NEVER_LIFTED, tmp_path)}"\nknown_at = 2025-07-04\n',
        )
        result = Scenario.from_file(path).run(seeded, ["2025-06-01"])
        (diff,) = result.dates["2025-06-01"]
        assert diff.baseline.uncertain
        assert not diff.scenario.uncertain


class TestScenarioCommand:
    def test_json_shape(self, seeded_cli: Cli) -> None:
        """`tracker scenario FILE --on D --json` gives the documented shape."""
        result = seeded_cli("scenario", str(CHINA), "--on", "2026-06-01", "--json")
        assert result.exit_code == 0, result.output
        data = json.loads(result.output)
        assert set(data) == {
            "scenario",
            "description",
            "known_at",
            "touched",
            "added",
            "retracted",
            "dates",
        }
        (day,) = data["dates"]
        (change,) = day["changes"]
        assert change["actor"] == "CHN" and change["dimension"] == "recognition"
        assert change["baseline"]["value"] == "none"
        assert change["scenario"]["value"] == "recognized"

    def test_who_after_scenario_is_unchanged(self, seeded_cli: Cli) -> None:
        """After a scenario run, `who` still lists only RUS as recognizing TALIBAN."""
        seeded_cli("scenario", str(CHINA), "--on", "2026-06-01")
        result = seeded_cli(
            "who", "TALIBAN", "--where", "recognition=recognized", "--on", "2026-06-01", "--json"
        )
        assert json.loads(result.output)["actors"] == ["RUS"]

    def test_table_output(self, seeded_cli: Cli) -> None:
        """The table names the dyad, the dimension and both values."""
        result = seeded_cli("scenario", str(NEVER_LIFTED))
        assert result.exit_code == 0, result.output
        assert "RUS->TALIBAN" in result.output and "terrorist_organizations" in result.output
