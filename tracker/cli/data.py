"""Data in and out of the store: `load`, `export`, `verify` and `rebuild` (and `import`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from .common import SEEDS, _emit, _json_option, _store


@click.command("load")
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def load_command(ctx: click.Context, paths: tuple[str, ...], quiet: bool) -> None:
    """Validate ledger files and append their events in one transaction (all or nothing)."""
    from ..loading import load

    with _store(ctx) as store:
        report = load(store, [Path(p) for p in paths], quiet=quiet)
    note = " (already loaded)" if report.added == 0 and report.skipped else ""
    click.echo(
        f"loaded {report.added} new events, {report.skipped} already present{note}; "
        f"{report.dyads} dyads refolded"
    )


@click.command("verify")
@_json_option
@click.pass_context
def verify_command(ctx: click.Context, as_json: bool) -> None:
    """Check the hash chain, ids and append-only triggers; exit 1 naming the first bad seq."""
    with _store(ctx) as store:
        problems = store.verify()
        count, head = store.head()
    if as_json:
        _emit(
            {
                "ok": not problems,
                "events": count,
                "head": head,
                "problems": [{"seq": p.seq, "reason": p.reason} for p in problems],
            }
        )
    elif not problems:
        click.echo(f"ok: {count} events, chain head {head[:16]}")
    for problem in problems:
        where = f"seq {problem.seq}: " if problem.seq is not None else ""
        if not as_json:
            click.echo(f"FAILED {where}{problem.reason}", err=True)
    if problems:
        ctx.exit(1)


@click.command("export")
@click.option(
    "--format", "fmt", type=click.Choice(["jsonl", "toml"]), default="jsonl", show_default=True
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), default="-", help="File [default: stdout]."
)
@click.pass_context
def export_command(ctx: click.Context, fmt: str, output: str) -> None:
    """Write every entity and event as a ledger that loads back with the same ids."""
    from ..ledger import dump

    with _store(ctx) as store:
        text = dump(store.entities(), store.scan(), fmt)
    if output == "-":
        sys.stdout.write(text)
    else:
        Path(output).write_text(text, encoding="utf-8")


@click.command("rebuild")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def rebuild_command(ctx: click.Context, quiet: bool) -> None:
    """Drop the derived tables and rebuild them from the events."""
    from ..loading import progress_bar

    with _store(ctx) as store, progress_bar(store.count(), "rebuilding", quiet) as tick:
        count = store.rebuild(progress=tick)
    click.echo(f"rebuilt the projections from {count} events")


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
    with _store(ctx) as store:
        report = gdelt.import_files(store, [Path(p) for p in paths], options, quiet=quiet)
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

    with _store(ctx) as store:
        report = cow.import_files(
            store,
            [Path(p) for p in paths],
            states=[Path(p) for p in states],
            lifespans=_bundled_lifespans(),
            quiet=quiet,
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

    with _store(ctx) as store:
        report = cow.import_states(
            store, [Path(p) for p in paths], lifespans=_bundled_lifespans(), quiet=quiet
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
        click.echo("\n".join(report.lines()))
