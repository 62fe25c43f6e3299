"""Data in and out of the store: `load`, `export`, `verify` and `rebuild` (and `import`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .common import SEEDS, _clean, _emit, _json_option, _n, _store, _write


@click.command("load")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def load_command(ctx: click.Context, paths: tuple[str, ...], quiet: bool) -> None:
    """Validate ledger files and append their events in one transaction (all or nothing).

    A folder stands for the ledgers in it (sorted; subfolders such as scenarios/ are not
    read); `-` reads JSON Lines from standard input.
    """
    import contextlib
    import sys

    from ..loading import STDIN, STDIN_NAME, check_paths, expand, load, spooled

    files = expand(paths)
    check_paths([f for f in files if str(f) != STDIN])  # before the store is opened (or created)
    with contextlib.ExitStack() as stack:
        names = {}
        if Path(STDIN) in files:
            spool = stack.enter_context(spooled(sys.stdin.buffer))
            files = [spool if str(f) == STDIN else f for f in files]
            names[spool] = STDIN_NAME
        report = _write(ctx, lambda store: load(store, files, quiet=quiet, names=names))
    note = " (already loaded)" if report.added == 0 and report.skipped else ""
    click.echo(
        f"loaded {_n(report.added, 'new event')}, {report.skipped} already present{note}; "
        f"{_n(report.dyads, 'dyad')} refolded"
    )


@click.command("verify")
@click.option(
    "--expect-head",
    "expect",
    default=None,
    metavar="HEAD|FILE",
    help="A head printed (or saved) by an earlier verify: the log must still hold it.",
)
@click.option(
    "--save-head",
    "save",
    default=None,
    type=click.Path(dir_okay=False),
    help="Write the head to FILE (when all holds), to give to --expect-head later.",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@_json_option
@click.pass_context
def verify_command(
    ctx: click.Context, expect: str | None, save: str | None, quiet: bool, as_json: bool
) -> None:
    """Check everything the store holds; exit 1 naming the first bad seq, table or trigger.

    The chain, ids and columns of every event, the triggers, SQLite's integrity check, the
    entity log and the derived tables (against a refold). A chain inside the file cannot see
    a cut tail or a consistent rewrite: keep the head it prints somewhere else, and give it
    to --expect-head.
    """
    from ..loading import progress_bar
    from ..outputs import check, text_file
    from ..verify import head

    expected = None if expect is None else _expected_head(expect)
    if save is not None:
        check(save, database=ctx.obj["db"])
    with _store(ctx, create=False) as store:
        with progress_bar(2 * store.count(), "verifying", quiet) as tick:
            problems = store.verify(expected, progress=tick)
        now = head(store.conn)
        chains = {
            name: {"seq": seq, "hash": digest}
            for name, (seq, digest) in (("events", store.head()), ("entities", store.entity_head()))
        }
        count, entities = store.count(), now.entity_seq or 0
    if save is not None and not problems:
        with text_file(save, database=ctx.obj["db"]) as handle:
            handle.write(f"{now}\n")
    if as_json:
        _emit(
            {
                "ok": not problems,
                "events": count,
                "entity_declarations": entities,
                "head": str(now),
                "chains": chains,
                "expected_head": None if expected is None else str(expected),
                "problems": [{"seq": p.seq, "reason": p.reason} for p in problems],
            }
        )
    elif not problems:
        click.echo(f"ok: {_n(count, 'event')}, {_n(entities, 'entity declaration')}")
        if expected is not None:
            click.echo(f"holds the expected head {expected}")
        click.echo(f"head {now}")
        if save is not None:
            click.echo(f"wrote the head to {save}", err=True)
    for problem in problems:
        where = f"seq {problem.seq}: " if problem.seq is not None else ""
        if not as_json:
            click.echo(f"FAILED {where}{problem.reason}", err=True)
    if problems:
        ctx.exit(1)


def _expected_head(text: str) -> Any:
    """A head given as text, or read from the file an earlier `verify --save-head` wrote."""
    from ..errors import TrackerError
    from ..ledger import read_text
    from ..verify import Head

    if ":" in text and not Path(text).exists():
        return Head.parse(text)
    try:
        return Head.parse(read_text(text, text, 4096))
    except TrackerError as error:
        raise TrackerError(f"{text}: {error}") from None


@click.command("export")
@click.option(
    "--format", "fmt", type=click.Choice(["jsonl", "toml"]), default="jsonl", show_default=True
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), default="-", help="File [default: stdout]."
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def export_command(ctx: click.Context, fmt: str, output: str, quiet: bool) -> None:
    """Write every entity and event as a ledger that loads back with the same ids."""
    from ..errors import TrackerError
    from ..exporting import ledger_lines
    from ..ledger import MAX_TOML
    from ..loading import progress_bar
    from ..outputs import STDOUT, check, text_file

    if output != STDOUT:
        check(output, database=ctx.obj["db"])  # before any work
    with _store(ctx) as store:
        store.conn.execute("BEGIN")  # one snapshot: entities and events as of one moment
        try:
            count = store.count()
            declarations = list(store.declarations())
            with (
                progress_bar(count, "exporting", quiet) as tick,
                text_file(output, database=ctx.obj["db"]) as handle,
            ):
                size = 0
                for text in ledger_lines(declarations, store.scan(), fmt, tick):
                    handle.write(text)
                    size += len(text.encode()) if fmt == "toml" else 0
                    if size > MAX_TOML:  # it would not load back: refuse it (nothing is kept)
                        raise TrackerError(
                            f"a TOML ledger of this store is over {MAX_TOML >> 20} MiB, more "
                            "than `tracker load` reads: export JSON Lines instead (the default)"
                        )
        finally:
            store.conn.execute("COMMIT")
    where = "standard output" if output == STDOUT else output
    click.echo(
        f"wrote {_n(count, 'event')} and {_n(len(declarations), 'entity declaration')} to {where}",
        err=True,
    )


@click.command("rebuild")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def rebuild_command(ctx: click.Context, quiet: bool) -> None:
    """Drop the derived tables and rebuild them from the events."""
    from ..loading import progress_bar

    with _store(ctx) as store, progress_bar(store.count(), "rebuilding", quiet) as tick:
        count = store.rebuild(progress=tick)
    click.echo(f"rebuilt the projections from {_n(count, 'event')}")


@click.group("import")
def import_group() -> None:
    """Import published data sets (GDELT, Correlates of War) as sourced events."""


@import_group.command("gdelt")
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--min-sources",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Skip rows with fewer NumSources.",
)
@click.option(
    "--min-articles",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Skip rows with fewer NumArticles.",
)
@click.option("--root-only", is_flag=True, help="Keep only root events (IsRootEvent = 1).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def gdelt_command(
    ctx: click.Context,
    paths: tuple[str, ...],
    min_sources: int,
    min_articles: int,
    root_only: bool,
    quiet: bool,
    as_json: bool,
) -> None:
    """Import GDELT 2.0 event exports (61 tab-separated columns, plain or zipped).

    CAMEO codes that move relationship state become events; every other row is counted
    in the end-of-import report.
    """
    from ..importers import gdelt

    options = gdelt.Options(min_sources, min_articles, root_only)
    report = _write(
        ctx,
        lambda store: gdelt.import_files(store, [Path(p) for p in paths], options, quiet=quiet),
    )
    _report(report, as_json)


@import_group.command("cow")
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--states",
    "states",
    multiple=True,
    required=True,
    type=click.Path(dir_okay=False),
    help="The COW State System Membership list (states2016.csv, plain or zipped).",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def cow_command(
    ctx: click.Context, paths: tuple[str, ...], states: tuple[str, ...], quiet: bool, as_json: bool
) -> None:
    """Import the COW Diplomatic Exchange data (v2006.1, plain or zipped) as envoy events.

    The membership list bounds every dyad: a dyad ends when a state leaves the system or
    ceases to be, and starts afresh when it comes back.
    """
    from ..importers import cow

    report = _write(
        ctx,
        lambda store: cow.import_files(
            store,
            [Path(p) for p in paths],
            states=[Path(p) for p in states],
            lifespans=_bundled_lifespans(),
            quiet=quiet,
        ),
    )
    _report(report, as_json)


@import_group.command("cow-states")
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def cow_states_command(
    ctx: click.Context, paths: tuple[str, ...], quiet: bool, as_json: bool
) -> None:
    """Import the COW State System Membership list (states2016.csv) as entity lifespans."""
    from ..importers import cow

    report = _write(
        ctx,
        lambda store: cow.import_states(
            store, [Path(p) for p in paths], lifespans=_bundled_lifespans(), quiet=quiet
        ),
    )
    _report(report, as_json)


def _bundled_lifespans() -> Path | None:
    """The bundled lifespans ledger, if the seeds are there."""
    found = SEEDS / "lifespans.toml"
    return found if found.is_file() else None


def _report(report: Any, as_json: bool) -> None:
    if as_json:
        _emit(report.to_json())
    else:
        click.echo("\n".join(_clean(line) for line in report.lines()))
