"""The README tells the truth: every command is in its command table, and every `$ tracker`
example prints what the README shows, run in order in a fresh folder as a new user would."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from tracker.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
# Examples that cannot run in a test: a server that never returns, and a client of it.
NOT_RUN = {"tracker serve", "curl"}


def commands() -> list[str]:
    """Every command path, `state` and `import gdelt` alike (groups by their commands)."""
    found: list[str] = []

    def walk(group: click.Group, prefix: str) -> None:
        context = click.Context(group)
        for name in group.list_commands(context):
            command = group.get_command(context, name)
            assert command is not None
            if isinstance(command, click.Group):
                walk(command, f"{prefix}{name} ")
            else:
                found.append(f"{prefix}{name}")

    walk(main, "")
    return found


def table_commands(text: str) -> list[str]:
    """The commands named in the first column of the README's command table."""
    start = text.index("| command | what it does |")
    rows = text[start : text.index("\n\n", start)].splitlines()[2:]
    return [re.match(r"\| `tracker ([a-z -]+?)(?: [A-Z\[-].*)?`", row).group(1) for row in rows]  # type: ignore[union-attr]


def examples(text: str) -> list[tuple[str, list[str]]]:
    """Each `$ ` line in a fenced block of the README, with the lines it shows after it."""
    found: list[tuple[str, list[str]]] = []
    for block in re.findall(r"^```[a-z]*\n(.*?)^```", text, flags=re.S | re.M):
        for part in re.split(r"^\$ ", block, flags=re.M)[1:]:
            line, *shown = part.rstrip("\n").split("\n")
            while shown and not shown[-1]:
                shown.pop()
            found.append((line, shown))
    return found


def test_the_command_table_lists_every_command() -> None:
    """The README's command table has a row for every command and subcommand, and no other."""
    assert sorted(set(table_commands(README.read_text(encoding="utf-8")))) == sorted(commands())


def test_every_example_prints_what_the_readme_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every `$ tracker` example in the README, run in order in a fresh folder holding the
    clone's seeds and fixtures (the database created from the seeds, as a new user's is),
    prints what the README shows after it (up to a `...` line, when it ends with one)."""
    for name in ("seeds", "tests"):
        (tmp_path / name).symlink_to(ROOT / name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TRACKER_DB", raising=False)
    runner = CliRunner()
    ran = 0
    for line, shown in examples(README.read_text(encoding="utf-8")):
        words = shlex.split(line)
        if any(line.startswith(skip) for skip in NOT_RUN) or words[0] == "pip":
            continue
        if words[:2] == ["mkdir", "-p"]:
            Path(words[2]).mkdir(parents=True, exist_ok=True)
            continue
        if words[0] == "cat":
            printed = Path(words[1]).read_text(encoding="utf-8")
        else:
            result = runner.invoke(main, words[1:])
            assert result.exit_code == 0, (line, result.output)
            printed = result.stdout
        lines = printed.rstrip("\n").split("\n")
        if shown and shown[-1] == "...":
            shown, lines = shown[:-1], lines[: len(shown) - 1]
        assert lines == shown, line
        ran += 1
    assert ran >= 20 and os.path.exists("tracker.db")
