"""Output files: checked before any work, written atomically (a temporary file in the same
folder, renamed into place), so a failure leaves no partial file and no half of a pair; and
long work shows progress on a terminal and says what it wrote."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tracker import loading
from tracker.errors import TrackerError
from tracker.outputs import check, written

from .conftest import Cli


class TestCheck:
    """tracker.outputs.check refuses what could not or must not be written."""

    def test_a_missing_folder(self, tmp_path: Path) -> None:
        """A file in a folder that does not exist is refused, naming the folder."""
        with pytest.raises(TrackerError, match=r"folder .* does not exist"):
            check(tmp_path / "missing" / "out.jsonl")

    @pytest.mark.parametrize("target", ["folder", "/dev/full", "/dev/null"])
    def test_not_a_file(self, tmp_path: Path, target: str) -> None:
        """A folder or a device in the file's place is refused (`-o -` is standard output)."""
        path = tmp_path if target == "folder" else Path(target)
        with pytest.raises(TrackerError, match="not a file to write"):
            check(path)

    @pytest.mark.parametrize("suffix", ["", "-wal", "-shm", "-journal"])
    def test_the_database(self, tmp_path: Path, suffix: str) -> None:
        """The database, the files SQLite keeps beside it, and a link to it are refused."""
        db = tmp_path / "s.db"
        db.touch()
        with pytest.raises(TrackerError, match="the database itself"):
            check(f"{db}{suffix}", database=db)
        (tmp_path / "link.db").symlink_to(db)
        os.link(db, tmp_path / "hard.db")
        for other in ("link.db", "hard.db"):
            with pytest.raises(TrackerError, match="the database itself"):
                check(tmp_path / other, database=db)


class TestWritten:
    """tracker.outputs.written renames its files into place only when all were written."""

    def test_a_failure_leaves_nothing(self, tmp_path: Path) -> None:
        """An error while writing leaves no file, no temporary file, and an old file as it was."""
        old = tmp_path / "old.csv"
        old.write_text("before\n", encoding="utf-8")
        for target in (tmp_path / "new.csv", old):
            with pytest.raises(RuntimeError), written([target]) as (made,):
                made.write_text("half", encoding="utf-8")
                raise RuntimeError("the work failed")
        assert sorted(p.name for p in tmp_path.iterdir()) == ["old.csv"]
        assert old.read_text(encoding="utf-8") == "before\n"

    def test_no_half_of_a_pair(self, tmp_path: Path) -> None:
        """When the second of two files fails, neither is put in place."""
        picture, data = tmp_path / "p.png", tmp_path / "d.csv"
        with pytest.raises(RuntimeError), written([picture, data]) as (first, _):
            first.write_bytes(b"png")
            raise RuntimeError("the data failed")
        assert list(tmp_path.iterdir()) == []

    def test_one_file_twice(self, tmp_path: Path) -> None:
        """The same file named twice (even through a link) is refused before anything."""
        (tmp_path / "link.csv").symlink_to(tmp_path / "a.csv")
        twice = [tmp_path / "a.csv", tmp_path / "link.csv"]
        with pytest.raises(TrackerError, match="the same file is named twice"), written(twice):
            pass
        assert sorted(p.name for p in tmp_path.iterdir()) == ["link.csv"]

    def test_written_together_with_their_extensions(self, tmp_path: Path) -> None:
        """Temporary paths keep the extension (writers choose a format by it); on success both
        files are in place, a new one with the usual mode, an old one with its own."""
        picture, data = tmp_path / "p.png", tmp_path / "d.csv"
        data.write_text("old", encoding="utf-8")
        os.chmod(data, 0o640)
        with written([picture, data]) as (first, second):
            assert (first.suffix, second.suffix) == (".png", ".csv") and first.parent == tmp_path
            first.write_bytes(b"png")
            second.write_text("new", encoding="utf-8")
        assert picture.read_bytes() == b"png" and data.read_text(encoding="utf-8") == "new"
        umask = os.umask(0)
        os.umask(umask)
        assert stat.S_IMODE(picture.stat().st_mode) == 0o666 & ~umask
        assert stat.S_IMODE(data.stat().st_mode) == 0o640
        assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv", "p.png"]


class TestCommands:
    """export, plot and --data check their files first and write them atomically."""

    @pytest.mark.parametrize(
        ("args", "reason"),
        [
            (["export", "-o", "/nonexistent/x.jsonl"], "folder /nonexistent does not exist"),
            (["export", "-o", "/dev/full"], "a character device, not a file to write"),
            (["plot", "dyad", "RUS", "TALIBAN", "-o", "/nonexistent/x.png"], "does not exist"),
            (["plot", "dyad", "RUS", "TALIBAN", "-o", "PIC", "--data", "missing/d.csv"], "missing"),
        ],
    )
    def test_refused_before_any_work(
        self, seeded_cli: Cli, tmp_path: Path, args: list[str], reason: str
    ) -> None:
        """A file that cannot be written is one line, and nothing is written (no picture
        without its data)."""
        picture = tmp_path / "p.png"
        args = [str(picture) if a == "PIC" else a for a in args]
        result = seeded_cli(*args)
        assert result.exit_code == 1 and reason in result.stderr, result.output
        assert result.stderr.count("\n") == 1 and not picture.exists()

    def test_standard_output_that_cannot_be_written(self, seeded_cli: Cli) -> None:
        """export to a full standard output is one line, not a traceback."""
        with open("/dev/full", "w") as full:
            done = subprocess.run(
                [sys.executable, "-m", "tracker", "--db", str(seeded_cli.db), "export"],
                stdout=full,
                stderr=subprocess.PIPE,
                text=True,
            )
        assert (
            done.returncode == 1
            and done.stderr == "error: standard output: No space left on device\n"
        )

    def test_a_toml_export_too_big_to_load_back(
        self, seeded_cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A TOML export larger than `load` reads is refused, leaving no file: what export
        writes always loads back."""
        import tracker.ledger

        monkeypatch.setattr(tracker.ledger, "MAX_TOML", 2000)
        out = tmp_path / "big.toml"
        result = seeded_cli("export", "--format", "toml", "-o", str(out))
        assert result.exit_code == 1 and "export JSON Lines instead" in result.stderr
        assert list(tmp_path.glob("*big.toml*")) == []

    def test_export_says_what_it_wrote(self, cli: Cli, tmp_path: Path) -> None:
        """export names what it wrote and where, in the singular and the plural."""
        one = tmp_path / "one.jsonl"
        one.write_text(
            '{"entity": {"id": "GRP", "name": "A group", "kind": "group"}}\n'
            '{"type": "visit_paid", "actor": "RUS", "counterpart": "GRP", "on": "2020", '
            '"sources": [{"title": "t", "publisher": "p", "date": "2020"}]}\n',
            encoding="utf-8",
        )
        loaded = cli("load", str(one))
        assert loaded.stdout == "loaded 1 new event, 0 already present; 1 dyad refolded\n"
        out = tmp_path / "out.jsonl"
        result = cli("export", "-o", str(out))
        assert result.stderr == f"wrote 1 event and 1 entity declaration to {out}\n"
        assert cli("export").stderr == "wrote 1 event and 1 entity declaration to standard output\n"


@pytest.mark.parametrize(("args", "label"), [(["verify"], "verifying"), (["export"], "exporting")])
def test_long_work_shows_progress_on_a_terminal(
    seeded_cli: Cli, monkeypatch: pytest.MonkeyPatch, args: list[str], label: str
) -> None:
    """verify and export draw a progress bar on a terminal (here: any output, any length)."""
    monkeypatch.setattr(loading, "showing_progress", lambda quiet=False: not quiet)
    monkeypatch.setattr(loading, "PROGRESS_FROM", 1)
    assert label in seeded_cli(*args).stderr
    assert label not in seeded_cli(*args, "--quiet").stderr
