"""The views: `plot` (pictures, with the numbers behind them) and `serve` (Datasette).

Only click is imported here: matplotlib and Datasette load when a command runs.
"""

from __future__ import annotations

import click


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
    from ..plot import draw_dyad, dyad_series
    from .common import _store

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
    from ..errors import TrackerError
    from ..plot import count_series, draw_count, first_change
    from ..query import parse_condition
    from .common import _store, _today

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
    from ..plot import data_format, image_format

    image_format(output)
    if data:
        data_format(data)


def _written(data: str | None, series: object) -> None:
    from ..plot import CountSeries, DyadSeries, write_data

    if data and isinstance(series, (CountSeries, DyadSeries)):
        write_data(series, data)
        click.echo(f"wrote {data}")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8001, show_default=True, type=int, help="Port to listen on.")
@click.pass_context
def serve_command(ctx: click.Context, host: str, port: int) -> None:
    """Browse the store read-only in Datasette, with canned queries (needs the web extra)."""
    from ..serve import serve
    from .common import _store

    with _store(ctx) as store:
        path = store.path
    serve(path, host, port)
