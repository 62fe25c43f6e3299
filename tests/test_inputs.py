"""Ways in and help: `load DIR`, `load -`, `-h` everywhere, `tracker` alone, an option given
on the wrong side of its command, and the words of reports (issue 13, found 7 and 9)."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from tracker.cli import main

from .conftest import Cli

VISIT = {
    "type": "visit_paid",
    "actor": "GRP_Z",
    "counterpart": "RUS",
    "on": "2026-01-01",
    "summary": "a visit",
    "sources": [{"title": "Report", "publisher": "Reuters", "date": "2026-01-02"}],
}


def folder(tmp_path: Path) -> Path:
    """A folder of two ledgers (the second needing the first's entity) and a subfolder."""
    found = tmp_path / "ledgers"
    (found / "scenarios").mkdir(parents=True)
    (found / "a_entity.toml").write_text(
        '[[entity]]\nid = "GRP_Z"\nname = "Zed"\nkind = "group"\n', encoding="utf-8"
    )
    (found / "b_visit.jsonl").write_text(json.dumps(VISIT) + "\n", encoding="utf-8")
    (found / "scenarios" / "broken.toml").write_text("not a ledger [", encoding="utf-8")
    (found / "notes.txt").write_text("not read", encoding="utf-8")
    return found


def test_load_reads_a_folders_ledgers(cli: Cli, tmp_path: Path) -> None:
    """`load DIR` loads the ledgers in it, and neither its subfolders nor other files."""
    result = cli("load", "--quiet", str(folder(tmp_path)))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("loaded 1 new event, 0 already present")
    assert "GRP_Z" in cli("entities").stdout


def test_load_refuses_a_folder_without_ledgers(cli: Cli, tmp_path: Path) -> None:
    """A folder holding no ledger is an error naming it, and nothing is written."""
    (tmp_path / "empty").mkdir()
    result = cli("load", str(tmp_path / "empty"))
    assert result.exit_code == 1 and "no ledgers in this folder" in result.stderr


def test_load_reads_standard_input(cli: Cli, tmp_path: Path) -> None:
    """`load -` reads JSON Lines from standard input, beside files."""
    entity = json.dumps({"entity": {"id": "GRP_Z", "name": "Zed", "kind": "group"}})
    result = cli.runner.invoke(
        main,
        ["--db", str(cli.db), "--no-seed", "load", "--quiet", "-"],
        input=f"{entity}\n{json.dumps(VISIT)}\n",
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("loaded 1 new event")


def test_bad_standard_input_names_its_line(cli: Cli) -> None:
    """A bad line on standard input is one error naming `<stdin>:LINE`, nothing written."""
    entity = json.dumps({"entity": {"id": "GRP_Z", "name": "Zed", "kind": "group"}})
    result = cli.runner.invoke(
        main, ["--db", str(cli.db), "--no-seed", "load", "-"], input=f"{entity}\nnot json\n"
    )
    assert result.exit_code == 1 and result.stderr.startswith("error: <stdin>:2: ")
    assert result.stderr.count("\n") == 1
    assert "GRP_Z" not in cli("entities").stdout


def every_command() -> list[list[str]]:
    """Every command path: `state`, `import gdelt`, ..., and the groups themselves."""
    found: list[list[str]] = []

    def walk(group: click.Group, prefix: list[str]) -> None:
        context = click.Context(group)
        for name in group.list_commands(context):
            command = group.get_command(context, name)
            found.append([*prefix, name])
            if isinstance(command, click.Group):
                walk(command, [*prefix, name])

    walk(main, [])
    return found


def test_dash_h_works_everywhere() -> None:
    """`-h` is help on the group and on every command and subcommand."""
    runner = CliRunner()
    for path in [[], *every_command()]:
        result = runner.invoke(main, [*path, "-h"], prog_name="tracker")
        assert result.exit_code == 0 and result.stdout.startswith("Usage: tracker"), path


def test_tracker_alone_prints_its_help() -> None:
    """`tracker` with no command prints the help, names the commands, and exits 0."""
    result = CliRunner().invoke(main, [], prog_name="tracker")
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: tracker") and "panel" in result.stdout
    assert "_TRACKER_COMPLETE" in result.stdout  # shell completion is said


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["state", "RUS", "TALIBAN", "--db", "x.db"], "give it before the command"),
        (["--on", "2025-01-01", "state", "RUS", "TALIBAN"], "give it after the command"),
    ],
)
def test_an_option_on_the_wrong_side_says_where_it_goes(args: list[str], said: str) -> None:
    """An option given on the wrong side of its command is a usage error saying where."""
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and said in result.output


def test_reports_count_in_the_right_number(cli: Cli, tmp_path: Path) -> None:
    """One event, one dyad: the load report's words are singular."""
    result = cli("load", "--quiet", str(folder(tmp_path)))
    assert "1 new event," in result.stdout and "1 dyad refolded" in result.stdout
    assert "events" not in result.stdout.split(",")[0] and "dyads" not in result.stdout


def test_plots_and_rebuilds_count_in_the_right_number(seeded_cli: Cli, tmp_path: Path) -> None:
    """A count series of one point says `1 point`; a rebuild of one event says `1 event`."""
    out = str(tmp_path / "count.svg")
    where = ["--where", "recognition=recognized", "--from", "2025-08-01", "--to", "2025-12-31"]
    result = seeded_cli("plot", "count", "TALIBAN", *where, "-o", out)
    assert result.exit_code == 0, result.output
    assert ": 1 point from 2025-08-01" in result.stdout
    single = Cli(tmp_path / "single.db")
    single("load", "--quiet", str(folder(tmp_path)))
    assert single("rebuild", "--quiet").stdout == "rebuilt the projections from 1 event\n"
