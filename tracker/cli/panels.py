"""`tracker panel`: the dyad-period table, written as CSV, TSV, JSON Lines or Parquet."""

from __future__ import annotations

import click

from .common import _n, _notes, _store


@click.command("panel")
@click.option("--actor", default=None, help="Only the dyads of this actor.")
@click.option("--counterpart", default=None, help="Only the dyads toward this counterpart.")
@click.option(
    "--dimension",
    "dimensions",
    multiple=True,
    required=True,
    help="A dimension to give (repeatable).",
)
@click.option("--from", "start", required=True, help="First period: YYYY (or a date).")
@click.option("--to", "end", required=True, help="Last period: YYYY (or a date).")
@click.option(
    "--every",
    type=click.Choice(["year", "month", "day"]),
    default="year",
    show_default=True,
    help="One row per dyad and period.",
)
@click.option(
    "--on",
    "on",
    default=None,
    help="The day sampled: MM-DD in each year [12-31], DD in each month [the last].",
)
@click.option(
    "--where",
    "where",
    multiple=True,
    help="Keep the rows where DIMENSION=VALUE holds or may hold (repeatable; all must).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "tsv", "jsonl", "parquet"]),
    default=None,
    help="[default: by the file's extension, else csv]",
)
@click.option("-o", "--output", default="-", help="File [default: stdout].")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def panel_command(
    ctx: click.Context,
    actor: str | None,
    counterpart: str | None,
    dimensions: tuple[str, ...],
    start: str,
    end: str,
    every: str,
    on: str | None,
    where: tuple[str, ...],
    fmt: str | None,
    output: str,
    quiet: bool,
) -> None:
    """One row per (actor, counterpart, period): each dimension's value, whether it is
    uncertain and what it could be, since when, and whether the dyad existed.

    For every dyad the store knows (or those of --actor, toward --counterpart), each period
    sampled on one day: by default the last of the year, the day whose settled value a
    snapshot records.
    """
    from ..conditions import parse
    from ..errors import TrackerError
    from ..loading import progress_bar
    from ..outputs import STDOUT, check, text_file, written
    from ..panels import file_format, panel, write

    kind = file_format(output, fmt)
    if kind == "parquet" and output == STDOUT:
        raise TrackerError("Parquet goes to a file: give -o FILE.parquet")
    if output != STDOUT:
        check(output, database=ctx.obj["db"])  # before any work
    conditions = parse(where) if where else None
    with _store(ctx) as store:
        found = panel(
            store,
            dimensions,
            start,
            end,
            every=every,
            on=on,
            actor=actor,
            counterpart=counterpart,
            where=conditions,
        )
        _notes(found, "csv")
        with progress_bar(found.dyads, "panel", quiet) as tick:
            if kind == "parquet":
                with written([output], database=ctx.obj["db"]) as (made,):
                    count = write(found, str(made), kind, tick)
            else:
                with text_file(output, database=ctx.obj["db"]) as handle:
                    count = write(found, handle, kind, tick)
    where_to = "standard output" if output == STDOUT else output
    said = f"wrote {_n(count, 'row')} ({_n(found.dyads, 'dyad')}) to {where_to}"
    click.echo(said, err=True)
