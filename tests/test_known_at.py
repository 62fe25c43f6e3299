"""`--known-at T` at its edge: every command counts a record recorded at T, none a second later."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from click.testing import CliRunner

from tracker.cli import main

T = "2025-03-10T23:59:59Z"  # the last second of 2025-03-10
# Four events of RUS toward AFG, each recorded near T; each moves one dimension of the dyad.
RECORDS = {
    "A": ("recognition_granted", {}, "2020-01-01", "2025-03-09T23:59:59Z"),  # a day before T
    "B": ("envoy_sent", {"level": "ambassador"}, "2020-02-01", T),  # at T
    "C": ("sanctions_imposed", {"measure": "asset_freeze"}, "2020-03-01", "2025-03-11T00:00:00Z"),
    "D": ("statement_made", {"stance": "partner"}, "2020-04-01", "2025-03-11T23:59:59Z"),
}
CONDITIONS = {
    "A": ("recognition", "recognized"),
    "B": ("envoy_sent", "ambassador"),
    "C": ("sanctions", "asset_freeze"),
    "D": ("stance", "partner"),
}
KNOWN = [  # a known-at value, and the records known then
    ("2025-03-09T23:59:58Z", ""),
    ("2025-03-09T23:59:59Z", "A"),
    ("2025-03-10T23:59:58Z", "A"),  # a second before T
    ("2025-03-11T00:59:58+01:00", "A"),  # the same second, written with an offset
    ("2025-03-10", "AB"),  # a bare day means its last second: T
    (T, "AB"),
    ("2025-03-11T00:00:00Z", "ABC"),  # a second after T
    ("2025-03-11T23:59:58Z", "ABC"),
    ("2025-03-11", "ABCD"),  # a day after T
]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Any]:
    """`tracker ... --json` against a database holding RECORDS; returns the parsed output."""
    folder = tmp_path_factory.mktemp("known")
    ledger = folder / "near.jsonl"
    lines = [
        {"type": kind, **extra, "actor": "RUS", "counterpart": "AFG", "on": on}
        | {"recorded": recorded, "sources": [{"title": name, "publisher": "P", "date": "2025"}]}
        for name, (kind, extra, on, recorded) in RECORDS.items()
    ]
    ledger.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    db = folder / "k.db"
    runner = CliRunner()

    def invoke(*args: str) -> Any:
        result = runner.invoke(main, ["--db", str(db), "--no-seed", *args, "--json"])
        assert result.exit_code == 0, result.output
        text = result.stdout
        return (
            [json.loads(line) for line in text.splitlines()]
            if args[0] == "replay"
            else (json.loads(text))
        )

    loaded = runner.invoke(main, ["--db", str(db), "--no-seed", "load", "--quiet", str(ledger)])
    assert loaded.exit_code == 0, loaded.output
    invoke.folder = folder  # type: ignore[attr-defined]
    return invoke


def _names(events: list[str], run: Callable[..., Any]) -> str:
    """The RECORDS names of event ids (in RECORDS order)."""
    ids = {entry["id"]: entry["recorded"] for entry in run("history", "RUS", "AFG")}
    by_recorded = {recorded: name for name, (*_, recorded) in RECORDS.items()}
    return "".join(sorted(by_recorded[ids[e]] for e in events))


def _state(run: Callable[..., Any], known: str) -> str:
    dimensions = run("state", "RUS", "AFG", "--on", "2024-01-01", "--known-at", known)["dimensions"]
    return "".join(n for n, (d, _) in CONDITIONS.items() if dimensions[d]["events"])


def _who(run: Callable[..., Any], known: str) -> str:
    found = ""
    for name, (dimension, value) in CONDITIONS.items():
        args = ["--where", f"{dimension}={value}", "--on", "2024-01-01", "--known-at", known]
        found += name if run("who", "AFG", *args)["actors"] == ["RUS"] else ""
    return found


def _first(run: Callable[..., Any], known: str) -> str:
    found = ""
    for name, (dimension, value) in CONDITIONS.items():
        answer = run("first", "AFG", "--where", f"{dimension}={value}", "--known-at", known)
        found += name if answer["actor"] == "RUS" else ""
    return found


def _history(run: Callable[..., Any], known: str) -> str:
    return _names([e["id"] for e in run("history", "RUS", "AFG", "--known-at", known)], run)


def _replay(run: Callable[..., Any], known: str) -> str:
    return _names(
        [c["event"] for c in run("replay", "--known-at", known) if c["actor"] == "RUS"], run
    )


def _scenario(run: Callable[..., Any], known: str) -> str:
    """The records a scenario undoing each of them (on a later day) finds in its base log."""
    path = run.folder / "undo.toml"  # type: ignore[attr-defined]
    undo = [("recognition_withdrawn", ""), ("envoy_recalled", ""), ("sanctions_lifted", "asset")]
    undo.append(("statement_made", "hostile"))
    path.write_text(
        'name = "undo"\n'
        + "".join(
            f'[[add]]\ntype = "{kind}"\nactor = "RUS"\ncounterpart = "AFG"\non = "2021-01-01"\n'
            + {"asset": 'measure = "asset_freeze"\n', "hostile": 'stance = "hostile"\n'}.get(x, "")
            for kind, x in undo
        ),
        encoding="utf-8",
    )
    answer = run("scenario", str(path), "--on", "2024-01-01", "--known-at", known)
    moved = {c["dimension"] for c in answer["dates"][0]["changes"] if c["baseline"]["events"]}
    return "".join(n for n, (d, _) in CONDITIONS.items() if d in moved)


COMMANDS = {
    "state": _state,
    "who": _who,
    "first": _first,
    "history": _history,
    "replay": _replay,
    "scenario": _scenario,
}


@pytest.mark.parametrize(("known", "expected"), KNOWN, ids=[k for k, _ in KNOWN])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_known_at_counts_records_up_to_its_second(
    run: Callable[..., Any], command: str, known: str, expected: str
) -> None:
    """An answer as known at T uses exactly the records recorded at or before T (a day: its end)."""
    assert COMMANDS[command](run, known) == expected
