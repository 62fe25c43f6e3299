"""The `import`, `plot` and `serve` commands, loaded by the `tracker` group on first use.

Only click is imported here: importers, matplotlib and Datasette load when a command runs,
so `tracker state` stays fast to start.
"""

from __future__ import annotations

from pathlib import Path

import click


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
    from .cli_common import _emit, _store
    from .importers import gdelt

    options = gdelt.Options(min_sources, min_articles, root_only)
    with _store(ctx) as store:
        report = gdelt.import_files(store, [Path(p) for p in paths], options, quiet=quiet)
    if as_json:
        _emit(report.to_json())
    else:
        click.echo("\n".join(report.lines()))


@import_group.command("cow")
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def cow_command(ctx: click.Context, paths: tuple[str, ...], quiet: bool, as_json: bool) -> None:
    """Import the COW Diplomatic Exchange CSV (v2006.1) as envoy events."""
    from .cli_common import _emit, _store
    from .importers import cow

    with _store(ctx) as store:
        report = cow.import_files(store, [Path(p) for p in paths], quiet=quiet)
    if as_json:
        _emit(report.to_json())
    else:
        click.echo("\n".join(report.lines()))


@click.group("plot")
def plot_group() -> None:
    """Draw answers as pictures (PNG or SVG), with the numbers behind them (--data)."""


def _output(f: click.decorators.FC) -> click.decorators.FC:
    f = click.option(
        "--data",
        "data",
        type=click.Path(dir_okay=False),
        default=None,
        help="Also write the numbers behind the picture (.csv or .json).",
    )(f)
    return click.option(
        "-o",
        "--output",
        required=True,
        type=click.Path(dir_okay=False),
        help="The picture: a .png or .svg file.",
    )(f)


@plot_group.command("dyad")
@click.argument("actor")
@click.argument("counterpart")
@click.option("--from", "start", default=None, help="First day shown [default: first event].")
@click.option("--to", "end", default=None, help="Last day shown [default: last event].")
@_output
@click.pass_context
def plot_dyad_command(
    ctx: click.Context,
    actor: str,
    counterpart: str,
    start: str | None,
    end: str | None,
    output: str,
    data: str | None,
) -> None:
    """One swimlane per dimension of ACTOR toward COUNTERPART over time."""
    from .cli_common import _store
    from .plot import draw_dyad, dyad_series

    _check_formats(output, data)
    with _store(ctx) as store:
        series = dyad_series(store, actor, counterpart)
    draw_dyad(series, output, start, end)
    click.echo(f"wrote {output}: {len(series.spans)} intervals, {len(series.marks)} events")
    _written(data, series)


@plot_group.command("count")
@click.argument("counterpart")
@click.option(
    "--where", "where", multiple=True, required=True, help="DIMENSION=VALUE (repeatable)."
)
@click.option("--from", "start", default=None, help="First day [default: the first change].")
@click.option("--to", "end", default=None, help="Last day [default: today].")
@_output
@click.pass_context
def plot_count_command(
    ctx: click.Context,
    counterpart: str,
    where: tuple[str, ...],
    start: str | None,
    end: str | None,
    output: str,
    data: str | None,
) -> None:
    """How many actors toward COUNTERPART match every condition, over time."""
    from .cli_common import _store, _today
    from .errors import TrackerError
    from .plot import count_series, draw_count, first_change
    from .query import parse_condition

    _check_formats(output, data)
    conditions = dict(parse_condition(w) for w in where)
    with _store(ctx) as store:
        start = start or first_change(store, counterpart, conditions)
        if start is None:
            raise TrackerError(f"nothing toward {counterpart} ever matched: give --from")
        end = end or _today()
        series = count_series(store, counterpart, conditions, start, end)
    draw_count(series, output)
    click.echo(f"wrote {output}: {len(series.points)} points from {series.start} to {series.end}")
    _written(data, series)


def _check_formats(output: str, data: str | None) -> None:
    """Refuse an image or data file name whose extension is not a known format, before work."""
    from .plot import data_format, image_format

    image_format(output)
    if data:
        data_format(data)


def _written(data: str | None, series: object) -> None:
    from .plot import CountSeries, DyadSeries, write_data

    if data and isinstance(series, (CountSeries, DyadSeries)):
        write_data(series, data)
        click.echo(f"wrote {data}")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8001, show_default=True, type=int, help="Port to listen on.")
@click.pass_context
def serve_command(ctx: click.Context, host: str, port: int) -> None:
    """Browse the store read-only in Datasette, with canned queries (needs the web extra)."""
    from .cli_common import _store
    from .serve import serve

    with _store(ctx) as store:
        path = store.path
    serve(path, host, port)
