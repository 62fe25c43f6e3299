"""Results as data: every answer has `to_dict()` (JSON-ready) and `to_frame()` (a pandas
DataFrame with real dates, no sentinel years, sorted sets, one column per field; issue 13,
found 11)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import tracker
from tracker.errors import TrackerError
from tracker.opening import SEEDS
from tracker.scenario import Scenario
from tracker.store import Store


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """A store created from the bundled seeds, as `tracker.open` makes a new one."""
    with tracker.open(tmp_path_factory.mktemp("frames") / "tracker.db") as opened:
        yield opened


def results(store: Store) -> dict[str, Any]:
    """One result of each kind."""
    china = Scenario.from_file(SEEDS / "scenarios" / "china_recognises_taliban.toml")
    return {
        "state": tracker.state(store, "RUS", "TALIBAN", "2025-07-04"),
        "who": tracker.who(store, "TALIBAN", {"envoy_sent": "ambassador"}, "2025-07-04"),
        "first": tracker.first(store, "TALIBAN", where={"envoy_sent": "ambassador"}),
        "history": tracker.history(store, "RUS", "TALIBAN"),
        "replay": tracker.Replay(store, "RUS", "TALIBAN"),
        "scenario": china.run(store, ["2026-06-01"]),
        "panel": tracker.panel(store, ["stance", "cooperation"], "2024", "2025", actor="RUS"),
    }


KINDS = ["state", "who", "first", "history", "replay", "scenario", "panel"]
SENTINELS = ("0001-01-01", "9999-12-31")


@pytest.mark.parametrize("kind", KINDS)
def test_to_dict_is_json_ready(store: Store, kind: str) -> None:
    """`to_dict()` goes through `json.dumps` as it is, and holds no sentinel day."""
    text = json.dumps(results(store)[kind].to_dict())
    assert not any(day in text for day in SENTINELS)


@pytest.mark.parametrize("kind", KINDS)
def test_to_frame_has_real_dates_and_flat_columns(store: Store, kind: str) -> None:
    """`to_frame()` has one column per field (no column of objects standing for whole
    answers), real datetimes for days with NaT for open ends, and no sentinel year."""
    frame = results(store)[kind].to_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame) > 0 and len(frame.columns) > 3
    days = [c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])]
    assert days, kind
    for column in days:
        years = frame[column].dropna().dt.year
        assert years.between(1000, 3000).all(), column
    for column in frame.columns:
        values = [v for v in frame[column] if v is not None]
        assert not any(
            isinstance(v, (frozenset, set, dict)) and column != "sources" for v in values
        )


def test_partial_dates_keep_their_window(store: Store) -> None:
    """A date known only as "by 4 July 2025" keeps its text beside an open `earliest`
    (NaT) and a real `latest`."""
    frame = tracker.state(store, "RUS", "TALIBAN", "2025-07-04").to_frame()
    stance = frame[frame["dimension"] == "stance"].iloc[0]
    assert stance["since"] == "../2025-07-04" and pd.isna(stance["since_earliest"])
    assert stance["since_latest"] == pd.Timestamp("2025-07-04")


def test_sets_are_sorted_lists(store: Store) -> None:
    """A set dimension's value is a sorted list, in to_dict and in to_frame alike."""
    answer = tracker.state(store, "RUS", "TALIBAN", "2025-07-04")
    listed = answer.to_dict()["dimensions"]["cooperation"]["value"]
    assert isinstance(listed, list) and listed == sorted(listed) and "energy" in listed
    frame = answer.to_frame()
    assert frame[frame["dimension"] == "cooperation"].iloc[0]["value"] == listed


def test_to_json_is_to_dict(store: Store) -> None:
    """`to_json()`, the older name, gives what `to_dict()` gives."""
    for kind in ("state", "who", "first", "scenario"):
        result = results(store)[kind]
        assert result.to_json() == result.to_dict()


def test_without_pandas_to_frame_names_the_extra(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without pandas, `to_frame()` is a TrackerError naming the extra to install."""
    monkeypatch.setitem(sys.modules, "pandas", None)  # makes `import pandas` fail
    with pytest.raises(TrackerError, match=r"\[pandas\]"):
        tracker.state(store, "RUS", "TALIBAN", "2025-07-04").to_frame()


def test_the_readme_frame_example_runs(store: Store) -> None:
    """The README's `to_frame()` example runs as written."""
    text = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    start = text.index("```python\nanswer.to_frame()") + len("```python\n")
    code = text[start : text.index("```", start)]
    answer = tracker.state(store, "RUS", "TALIBAN", "2025-07-04")
    exec(compile(code, "README.md", "exec"), {"tracker": tracker, "store": store, "answer": answer})


def test_no_submodule_shadows_a_public_name() -> None:
    """Once every module of the package is imported, each public name of `tracker` is still
    the function or class it names, not a submodule of the same name."""
    import importlib
    import pkgutil
    import types

    for info in pkgutil.walk_packages(tracker.__path__, "tracker."):
        if not info.name.startswith(("tracker.bench", "tracker.cli")):
            importlib.import_module(info.name)
    shadowed = [n for n in tracker.__all__ if isinstance(getattr(tracker, n), types.ModuleType)]
    assert shadowed == []
