"""Bounded reading and streamed writing: the file type and extension are checked before a byte
is read, no line or file is read whole past its limit, and `export` and `history` write as
they read, so memory does not grow with the input or the store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from events import Source, StatementMade
from tracker.cli import main
from tracker.store import Store

from .conftest import Cli

SPARSE = 2 << 30  # a 2 GiB file that takes no disk (a hole)
MEMORY_MB = 300


def run_measured(*args: str, timeout: float = 120) -> tuple[int, str, float]:
    """Run `python -m tracker ARGS` to its end: exit code, stderr, and its peak memory (MB)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tracker", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + timeout
    while True:  # reap it with wait4 (not poll, which would take its usage with it)
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            break
        assert time.monotonic() < deadline, f"{args} still running after {timeout} s"
        time.sleep(0.01)
    err = process.stderr.read() if process.stderr else ""
    peak = usage.ru_maxrss / 1024  # KiB on Linux
    return process.returncode, err, peak


def sparse(path: Path, size: int = SPARSE) -> Path:
    """A file of `size` zero bytes that takes no disk."""
    with open(path, "wb") as handle:
        handle.truncate(size)
    return path


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("/dev/zero", "unknown ledger format"),
        ("huge.bin", "unknown ledger format"),
        ("huge.jsonl", "line longer than 1 MiB"),
        ("huge.toml", "file larger than 8 MiB"),
        ("zero.jsonl", "not a regular file"),
    ],
)
def test_endless_or_huge_input_is_refused_in_bounded_memory(
    tmp_path: Path, name: str, reason: str
) -> None:
    """/dev/zero, a 2 GiB file with a wrong extension, one 2 GiB line, a 2 GiB TOML ledger and
    a device behind a ledger's name: each refused in one line, well under 300 MB."""
    if name == "/dev/zero":
        path = Path(name)
    elif name == "zero.jsonl":
        path = tmp_path / name
        path.symlink_to("/dev/zero")
    else:
        path = sparse(tmp_path / name)
    db = tmp_path / "s.db"
    code, err, peak = run_measured("--db", str(db), "--no-seed", "load", str(path))
    assert code == 1 and err.startswith(f"error: {path}") and reason in err, err
    assert err.count("\n") == 1
    assert peak < MEMORY_MB, f"{peak:.0f} MB"
    print(f"\n{name}: refused at {peak:.0f} MB peak")


@pytest.mark.parametrize("where", ["ledger", "scenario", "base"])
def test_a_fifo_is_refused_without_waiting(seeded_cli: Cli, tmp_path: Path, where: str) -> None:
    """A FIFO given as a ledger, a scenario or a scenario's base is refused; nothing waits on
    it (were it opened for reading, the command would block until a writer came)."""
    fifo = tmp_path / ("pipe.jsonl" if where == "ledger" else "pipe.toml")
    os.mkfifo(fifo)
    if where == "base":
        scenario = tmp_path / "child.toml"
        scenario.write_text(f'name = "child"\nbase = "{fifo.name}"\n', encoding="utf-8")
        args = ["scenario", str(scenario), "--on", "2025-07-04"]
    elif where == "scenario":
        args = ["scenario", str(fifo), "--on", "2025-07-04"]
    else:
        args = ["load", str(fifo)]
    try:  # in a process of its own: opened for reading, a FIFO would block until a writer came
        done = subprocess.run(
            [sys.executable, "-m", "tracker", "--db", str(seeded_cli.db), *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{where}: the command waited on the FIFO")
    assert done.returncode == 1 and "not a regular file (a FIFO)" in done.stderr
    assert done.stderr.count("\n") == 1


def test_deeply_nested_entity_aliases(cli: Cli, tmp_path: Path) -> None:
    """A 2 KB entity line whose aliases nest 990 deep is one clean line, not a RecursionError."""
    path = tmp_path / "deep.jsonl"
    aliases = "[" * 990 + "]" * 990
    path.write_text(
        '{"entity": {"id": "DEEP", "name": "n", "kind": "group", "aliases": ' + aliases + "}}\n",
        encoding="utf-8",
    )
    result = cli("load", str(path))
    assert result.exit_code == 1 and result.stderr.startswith(f"error: {path}:1: ")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('name = "s"\ncompare_on = 5\n', "'compare_on' must be a list of days"),
        ('name = "s"\ncompare_on = [5]\n', "'compare_on' must be a list of days"),
        ('name = "s"\nknown_at = 5\n', "'known_at' must be a day or a timestamp"),
        ('name = "s"\ndescription = [1]\n', "'description' must be text"),
        ('name = "s"\nx = ' + "[" * 5000 + "]" * 5000 + "\n", "nested more than 100 levels"),
    ],
)
def test_malformed_scenarios(seeded_cli: Cli, tmp_path: Path, text: str, reason: str) -> None:
    """A scenario with values of the wrong type or nested past reason is one line naming it."""
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    result = seeded_cli("scenario", str(path), "--on", "2025-07-04")
    assert result.exit_code == 1 and result.stderr.startswith(f"error: {path}:")
    assert reason in result.stderr and result.stderr.count("\n") == 1


def test_a_long_chain_of_base_scenarios(seeded_cli: Cli, tmp_path: Path) -> None:
    """A chain of 1,200 `base` scenarios is refused in one line (it is read without recursing)."""
    for i in range(1200):
        base = f'base = "b{i + 1}.toml"\n' if i < 1199 else "compare_on = [2026-01-01]\n"
        (tmp_path / f"b{i}.toml").write_text(f'name = "s{i}"\n{base}', encoding="utf-8")
    result = seeded_cli("scenario", str(tmp_path / "b0.toml"))
    assert result.exit_code == 1 and "more than 32 scenarios in its 'base' chain" in result.stderr
    assert result.stderr.count("\n") == 1


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A store with one dyad of 2,000 events (about 600 KB of bodies)."""
    db = tmp_path_factory.mktemp("big") / "big.db"
    with Store(db) as store:
        store.append(
            [
                StatementMade(
                    actor="RUS",
                    counterpart="CHN",
                    on=f"{1900 + i % 100}",
                    stance="partner",
                    note=f"n{i} " + "x" * 200,
                    sources=(Source(title=f"T{i}", publisher="P", date="2025"),),
                )
                for i in range(2000)
            ]
        )
    yield db


def traced_peak(db: Path, *args: str) -> float:
    """The peak of Python's allocations (MB) while `tracker ARGS` runs in this process."""
    tracemalloc.start()
    try:
        result = CliRunner().invoke(main, ["--db", str(db), *args])
        peak = tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()
    assert result.exit_code == 0, result.output
    return peak


@pytest.mark.parametrize(
    ("args", "limit"),
    [
        (["export", "-o", "OUT"], 2.0),  # the whole text built first: 4.5 MB
        (["history", "RUS", "CHN", "--json"], 5.0),  # 0.7 MB printed; the list built first: 10 MB
        (["history", "RUS", "CHN"], 3.0),  # the table built first: 6.6 MB
    ],
)
def test_export_and_history_stream(big: Path, args: list[str], limit: float) -> None:
    """`export` and `history` hold a few events at a time, not the store's 2,000."""
    with tempfile.TemporaryDirectory() as folder:
        args = [str(Path(folder) / "out.jsonl") if a == "OUT" else a for a in args]
        peak = traced_peak(big, *args)
    assert peak < limit, f"{args[0]}: {peak:.1f} MB"


def test_streamed_history_is_the_history(big: Path) -> None:
    """The streamed JSON is the same list `history()` returns, in the same order."""
    from tracker.query import history

    result = CliRunner().invoke(main, ["--db", str(big), "history", "RUS", "CHN", "--json"])
    printed = json.loads(result.stdout)
    with Store(big) as store:
        entries = history(store, "RUS", "CHN")
        sources = store.sources(e.record.id for e in entries)
        assert printed == [e.to_json(sources) for e in entries]
