"""Transaction time: answers as known at a moment, and corrections that never mutate the log."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events import Event
from tracker import query
from tracker.store import Store

from .conftest import RERUN, Cli
from .strategies import ENTITIES, day_texts, moments_around, timestamps, wide_event_lists

REPORT_DAY = "2025-07-04"


class TestSeedCorrection:
    def test_known_at_report_day_shows_the_vague_removal(self, seeded: Store) -> None:
        """As known on the report's day, the designation on 2025-06-01 is uncertain."""
        ans = query.state(seeded, "RUS", "TALIBAN", "2025-06-01", REPORT_DAY).dimensions[
            "designations"
        ]
        assert ans.uncertain
        assert set(ans.possible) == {frozenset({"terrorist_organizations"}), frozenset()}
        assert ans.value == frozenset({"terrorist_organizations"})

    def test_plain_query_uses_the_correction(self, seeded: Store) -> None:
        """Now, the designation was removed on 2025-04-17 and is settled on 2025-06-01."""
        ans = query.state(seeded, "RUS", "TALIBAN", "2025-06-01").dimensions["designations"]
        assert not ans.uncertain
        assert ans.value == frozenset()
        assert ans.since == "2025-04-17"

    def test_the_two_answers_differ_only_in_designations(self, seeded: Store) -> None:
        """Known-at and current answers differ exactly in the corrected dimension."""
        then = query.state(seeded, "RUS", "TALIBAN", "2025-06-01", REPORT_DAY).dimensions
        now = query.state(seeded, "RUS", "TALIBAN", "2025-06-01").dimensions
        assert [d for d in now if now[d] != then[d]] == ["designations"]

    def test_history_strikes_out_the_corrected_record(self, seeded: Store) -> None:
        """History keeps the vague record, marked as withdrawn by the correction."""
        entries = query.history(seeded, "RUS", "TALIBAN")
        vague = next(e for e in entries if e.record.event.on == "2025-01-01/2025-07-04")
        correction = next(e for e in entries if e.record.event.on == "2025-04-17")
        assert vague.retracted_by == correction.record.id
        assert vague.changes == ()
        assert correction.changes


class TestKnownAtLaws:
    @settings(suppress_health_check=[HealthCheck.function_scoped_fixture, *RERUN])
    @given(day=st.dates().map(lambda d: d.isoformat()))
    def test_known_at_after_last_record_equals_plain(self, seeded: Store, day: str) -> None:
        """known_at later than every `recorded` gives the plain (projection) answer."""
        for dyad in (("RUS", "TALIBAN"), ("CHN", "TALIBAN"), ("SUN", "AFG"), ("TALIBAN", "RUS")):
            plain = query.state(seeded, *dyad, day)
            known = query.state(seeded, *dyad, day, "2099-01-01")
            assert plain.dimensions == known.dimensions

    @settings(suppress_health_check=[HealthCheck.function_scoped_fixture, *RERUN])
    @given(
        early=wide_event_lists(max_size=8),
        late=wide_event_lists(max_size=4),
        moment=timestamps(),
        data=st.data(),
    )
    def test_later_records_never_change_earlier_knowledge(
        self,
        tmp_path_factory: object,
        early: list[Event],
        late: list[Event],
        moment: str,
        data: st.DataObject,
    ) -> None:
        """An event recorded after T (by a second or a day) never changes an answer given as
        known at T; one recorded at T or before it counts."""
        path = tmp_path_factory.mktemp("bt") / "b.db"  # type: ignore[attr-defined]
        known = data.draw(moments_around(moment, after=False))
        later = data.draw(moments_around(moment, after=True))
        days = st.sampled_from(["1650-01-01", "2021-01-01", "2021-07-01", "2350-12-31"])
        day = data.draw(days | day_texts(1600, 2400))
        with Store(path, clock=lambda: known) as store:
            store.append(early, ENTITIES)
            pairs = [("RUS", "TALIBAN"), ("TALIBAN", "RUS"), ("CHN", "USA"), ("PAK", "RUS")]
            before = {p: query.state(store, *p, day, moment).dimensions for p in pairs}
            assert before == {p: query.state(store, *p, day).dimensions for p in pairs}
            store.clock = lambda: later
            store.append(late)
            after = {p: query.state(store, *p, day, moment).dimensions for p in pairs}
        assert before == after


class TestRetractCommand:
    def test_retract_strikes_out_and_changes_state(self, seeded_cli: Cli) -> None:
        """`tracker retract` records a retraction; history marks the target; state follows."""
        found = json.loads(seeded_cli("history", "RUS", "TALIBAN", "--json").output)
        target = next(e for e in found if e["type"] == "designation_added")["id"]
        result = seeded_cli("retract", target[:10], "--reason", "misdated", "--source", "desk note")
        assert result.exit_code == 0, result.output
        history = json.loads(seeded_cli("history", "RUS", "TALIBAN", "--json").output)
        assert next(e for e in history if e["id"] == target)["retracted_by"]
        assert any(e["type"] == "event_retracted" for e in history)
        state = json.loads(
            seeded_cli("state", "RUS", "TALIBAN", "--on", "2010-01-01", "--json").output
        )
        assert state["dimensions"]["designations"]["value"] == []
        assert seeded_cli("verify").exit_code == 0

    def test_known_at_before_the_retraction_still_answers(self, seeded_cli: Cli) -> None:
        """Knowledge from before a retraction stays answerable: nothing is deleted."""
        found = json.loads(seeded_cli("history", "RUS", "TALIBAN", "--json").output)
        target = next(e for e in found if e["type"] == "designation_added")["id"]
        seeded_cli("retract", target, "--reason", "test", "--source", "desk note")
        state = json.loads(
            seeded_cli(
                "state",
                "RUS",
                "TALIBAN",
                "--on",
                "2010-01-01",
                "--known-at",
                "2025-12-31",
                "--json",
            ).output
        )
        assert state["dimensions"]["designations"]["value"] == ["terrorist_organizations"]

    def test_retract_unknown_id_is_one_line(self, seeded_cli: Cli) -> None:
        """Retracting an id that matches nothing fails with one clear line."""
        result = seeded_cli("retract", "ffffffff", "--reason", "x", "--source", "y")
        assert result.exit_code == 1
        assert "no event id starts with" in result.output
        assert "Traceback" not in result.output
