"""Tied windows through the store: every way of answering replays them in `seq` order."""

from __future__ import annotations

from pathlib import Path

import pytest

from events import EntityBegan, EnvoySent, Source
from tracker import query
from tracker.replay import replay
from tracker.scenario import Scenario
from tracker.store import Store

SOURCE = Source(title="Report", publisher="Wire", date="2021")
# One window written three ways, logged in this order: the last logged is applied last.
# Toward CHN, whose beginning gives the dyad a lifespan (answers take the lifespan-bound path),
# and toward USA, which has none.
TIED = [
    EnvoySent(actor="RUS", counterpart=counterpart, on=on, sources=(SOURCE,), level=level)
    for counterpart in ("CHN", "USA")
    for on, level in [
        ("2021-05-01/2021-05-31", "ambassador"),
        ("2021-05", "charge_d_affaires"),
        ("2021-05-01/2021-05-31", "minister"),
    ]
]


@pytest.fixture(scope="module")
def tied(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding TIED, appended one at a time (late ones in a second load)."""
    path = tmp_path_factory.mktemp("ties") / "t.db"
    with Store(path, clock=lambda: "2026-01-01T00:00:00Z") as store:
        began = EntityBegan(actor="CHN", on="1949-10-01", sources=(SOURCE,))
        store.append([began, *TIED[:2], *TIED[3:5]])
        store.clock = lambda: "2026-02-01T00:00:00Z"
        store.append([TIED[2], TIED[5]])
    return path


@pytest.mark.parametrize("counterpart", ["CHN", "USA"])
@pytest.mark.parametrize("known_at", [None, "2026-03-01"])
def test_tied_windows_apply_in_seq_order(
    tied: Path, known_at: str | None, counterpart: str
) -> None:
    """Of events on one window, the last logged decides, in state, who, history and replay."""
    with Store(tied) as store:
        answer = query.state(store, "RUS", counterpart, "2021-07-01", known_at).dimensions[
            "envoy_sent"
        ]
        assert answer.value == "minister"
        who = query.who(store, counterpart, {"envoy_sent": "minister"}, "2021-07-01", known_at)
        assert list(who.actors) == ["RUS"]
        entries = query.history(store, "RUS", counterpart, known_at)
        levels = [e.record.event.level for e in entries if e.record.type == "envoy_sent"]
        assert levels == ["ambassador", "charge_d_affaires", "minister"]
        moves = replay(store, "RUS", counterpart, known_at=known_at)
        changes = [c.after for c in moves if c.dimension == "envoy_sent"]
        assert changes == ["ambassador", "charge_d_affaires", "minister"]


def test_known_at_between_the_loads_ends_with_the_earlier_last(tied: Path) -> None:
    """Known before the third event was recorded, the second decides."""
    with Store(tied) as store:
        answer = query.state(store, "RUS", "CHN", "2021-07-01", "2026-01-15").dimensions
        assert answer["envoy_sent"].value == "charge_d_affaires"


def test_a_scenario_event_on_a_tied_window_applies_after_the_log(tied: Path) -> None:
    """A hypothetical event on a logged window comes after every logged event on it."""
    added = EnvoySent(
        actor="RUS", counterpart="CHN", on="2021-05", level="ambassador", hypothetical=True
    )
    with Store(tied) as store:
        result = Scenario(name="tie", adds=(added,)).run(store, ["2021-07-01"])
    (difference,) = [d for d in result.dates["2021-07-01"] if d.dimension == "envoy_sent"]
    assert (difference.baseline.value, difference.scenario.value) == ("minister", "ambassador")
