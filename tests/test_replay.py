"""Replays: the ordered stream of state changes, and the law that replays compose with states."""

from __future__ import annotations

import datetime as dt
import inspect
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events import Event
from tracker.reducers import INITIAL, Dyad, DyadState, Value, effects_on, evolve
from tracker.replay import replay
from tracker.store import Store
from tracker.timeline import Record, effective

from .conftest import RERUN, Cli
from .strategies import ENTITIES, dyad_event_lists, shift

SCENARIOS = Path(__file__).resolve().parent.parent / "seeds" / "scenarios"


def _upper(records: list[Record], day: str) -> dict[Dyad, dict[str, Value]]:
    """Each dyad's values after folding the standing events whose earliest day is <= `day`."""
    states: dict[Dyad, DyadState] = {}
    for record in effective(records):
        if record.earliest > day:
            continue
        for dyad in {
            (record.event.actor, record.event.counterpart),
            (record.event.counterpart, record.event.actor),
        }:
            step = effects_on(record, dyad)
            if step:
                states[dyad] = evolve(states.get(dyad, INITIAL), step, record.id, record.event.on)
    return {dyad: state.values() for dyad, state in states.items()}


class TestSeedReplay:
    def test_russia_taliban_in_order_with_sources(self, seeded: Store) -> None:
        """RUS -> TALIBAN 2000-2025: designation added, removed, credentials, recognition."""
        changes = list(replay(seeded, "RUS", "TALIBAN", start="2000-01-01", end="2025-12-31"))
        types = [c.record.event.type for c in changes]
        wanted = [
            "designation_added",
            "designation_removed",
            "credentials_accepted",
            "recognition_granted",
        ]
        positions = [types.index(t) for t in wanted]
        assert positions == sorted(positions)
        assert all(c.record.event.sources for c in changes)
        removal = changes[types.index("designation_removed")]
        assert removal.record.event.on == "2025-04-17"  # the correction, not the vague record

    def test_replay_is_a_stream(self, seeded: Store) -> None:
        """replay() is a generator reading from the store's cursor, not a list."""
        assert inspect.isgenerator(replay(seeded))

    def test_world_replay_is_in_replay_order(self, seeded: Store) -> None:
        """The world's changes come in order of the day each is placed at: its event's earliest
        day, or the start of the stretch of the dyad's existence it counts in if later."""
        days = [c.placed for c in replay(seeded)]
        assert days == sorted(days)
        assert {c.dyad for c in replay(seeded)} >= {("SUN", "AFG"), ("TALIBAN", "AFG")}

    def test_counterpart_selection(self, seeded: Store) -> None:
        """--counterpart keeps only changes toward that counterpart."""
        changes = list(replay(seeded, None, "TALIBAN", start="2025-01-01"))
        assert changes and all(c.dyad[1] == "TALIBAN" for c in changes)

    def test_known_at_leaves_out_later_records(self, seeded: Store) -> None:
        """As known on the report's day, the removal is the vaguely dated record."""
        changes = replay(seeded, "RUS", "TALIBAN", start="2000-01-01", known_at="2025-07-04")
        removal = next(c for c in changes if c.record.event.type == "designation_removed")
        assert removal.record.event.on == "2025-01-01/2025-07-04"


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, *RERUN])
@given(
    batch=dyad_event_lists(max_size=14),
    start=st.dates(dt.date(2019, 1, 1), dt.date(2023, 12, 31)).map(dt.date.isoformat),
    length=st.integers(0, 900),
)
def test_replayed_changes_carry_one_state_to_another(
    tmp_path_factory: object, batch: list[Event], start: str, length: int
) -> None:
    """Applying the changes replayed from --from to --to onto the state just before --from
    gives the state at --to (states placing each event at its earliest day)."""
    path = tmp_path_factory.mktemp("replay") / "r.db"  # type: ignore[attr-defined]
    with Store(path) as store:
        store.append(batch, ENTITIES)
        end = shift(start, length)
        records = [r for dyad in _all_dyads(store) for r in store.records(dyad)]
        records = list({r.id: r for r in records}.values())
        state = _upper(records, shift(start, -1))
        for change in replay(store, start=start, end=end):
            values = state.setdefault(change.dyad, INITIAL.values())
            assert values[change.dimension] == change.before
            values[change.dimension] = change.after
        expected = _upper(records, end)
        for dyad in set(state) | set(expected):
            assert state.get(dyad, INITIAL.values()) == expected.get(dyad, INITIAL.values())


def _all_dyads(store: Store) -> list[Dyad]:
    return [
        tuple(row)
        for row in store.conn.execute(  # type: ignore[misc]
            "SELECT DISTINCT actor, counterpart FROM dyad_events"
        )
    ]


class TestReplayCommand:
    def test_table_lists_the_four_changes(self, seeded_cli: Cli) -> None:
        """`tracker replay RUS TALIBAN --from 2000-01-01 --to 2025-12-31` lists the key events."""
        result = seeded_cli(
            "replay", "RUS", "TALIBAN", "--from", "2000-01-01", "--to", "2025-12-31"
        )
        assert result.exit_code == 0, result.output
        out = result.output
        order = [
            out.index(t)
            for t in (
                "designation_added",
                "designation_removed",
                "credentials_accepted",
                "recognition_granted",
            )
        ]
        assert order == sorted(order)
        assert "Reuters" in out and "AFP" in out

    def test_json_lines(self, seeded_cli: Cli) -> None:
        """--json prints JSON Lines: date, dyad, dimension, before, after, event, sources."""
        result = seeded_cli("replay", "RUS", "TALIBAN", "--from", "2025-07-03", "--json")
        lines = [json.loads(line) for line in result.output.splitlines()]
        assert lines
        assert {
            "on",
            "actor",
            "counterpart",
            "dimension",
            "before",
            "after",
            "event",
            "sources",
        } <= set(lines[0])

    def test_replay_with_scenario_includes_hypothetical(self, seeded_cli: Cli) -> None:
        """Replaying with the China scenario shows its hypothetical recognition."""
        result = seeded_cli(
            "replay",
            "--counterpart",
            "TALIBAN",
            "--from",
            "2026-01-01",
            "--scenario",
            str(SCENARIOS / "china_recognises_taliban.toml"),
        )
        assert result.exit_code == 0, result.output
        assert "CHN->TALIBAN" in result.output and "hypothetical" in result.output

    def test_bad_arguments_are_one_line(self, seeded_cli: Cli) -> None:
        """Giving only an actor is refused with one clear line."""
        result = seeded_cli("replay", "RUS")
        assert result.exit_code != 0
        assert "Traceback" not in result.output
        assert "ACTOR COUNTERPART" in result.output
