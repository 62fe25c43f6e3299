"""The views: `plot` (pictures, with the numbers behind them) and `serve` (Datasette).

Only click is imported here: matplotlib and Datasette load when a command runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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
    from .common import _n, _resolved_note, _store

    _check_outputs(ctx, output, data)
    resolved: dict[str, str] = {}
    with _store(ctx) as store:
        series = dyad_series(store, actor, counterpart, resolved)
    _resolved_note(resolved, "table")
    with _written(ctx, output, data, series) as picture:
        draw_dyad(series, picture, start, end)
    click.echo(
        f"wrote {output}: {_n(len(series.spans), 'interval')}, {_n(len(series.marks), 'event')}"
    )
    if data:
        click.echo(f"wrote {data}")


@plot_group.command("count")
@click.argument("counterpart")
@click.option(
    "--where",
    "where",
    multiple=True,
    required=True,
    help="DIMENSION=VALUE (repeatable; every one must hold).",
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
    from ..conditions import parse
    from ..errors import TrackerError
    from ..plot import count_series, draw_count, first_change
    from .common import _n, _notes, _store, _today

    _check_outputs(ctx, output, data)
    conditions = parse(where)
    with _store(ctx) as store:
        start = start or first_change(store, counterpart, conditions)
        if start is None:
            raise TrackerError(f"nothing toward {counterpart} ever matched: give --from")
        end = end or _today()
        series = count_series(store, counterpart, conditions, start, end)
    _notes(series, "table")
    with _written(ctx, output, data, series) as picture:
        draw_count(series, picture)
    points = _n(len(series.points), "point")
    click.echo(f"wrote {output}: {points} from {series.start} to {series.end}")
    if data:
        click.echo(f"wrote {data}")


def _check_outputs(ctx: click.Context, output: str, data: str | None) -> None:
    """Refuse, before any work, a picture or data file that could not or must not be written:
    an unknown extension, a missing or read-only folder, the database itself, one file twice."""
    from ..errors import TrackerError
    from ..outputs import check
    from ..plot import data_format, image_format

    image_format(output)
    check(output, database=ctx.obj["db"])
    if data:
        data_format(data)
        check(data, database=ctx.obj["db"])
        if Path(data).resolve() == Path(output).resolve():
            raise TrackerError(f"{data}: the picture and the data would be the same file")


@contextmanager
def _written(ctx: click.Context, output: str, data: str | None, series: object) -> Iterator[Path]:
    """The picture's temporary path; on success the picture and the data (if asked for) are
    renamed into place together, so a failure leaves neither."""
    from ..outputs import written
    from ..plot import CountSeries, DyadSeries, write_data

    with written([output, *([data] if data else [])], database=ctx.obj["db"]) as paths:
        yield paths[0]
        if data and isinstance(series, (CountSeries, DyadSeries)):
            write_data(series, paths[1])


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8001, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--max-memory",
    default=512,
    show_default=True,
    type=click.IntRange(min=128),
    help="MB of memory the server may take; a query that needs more fails alone.",
)
@click.pass_context
def serve_command(ctx: click.Context, host: str, port: int, max_memory: int) -> None:
    """Browse the store read-only in Datasette, with canned queries (needs the web extra).

    Each query stops after 1 s, a value holds at most 1 MB, SQLite holds at most 256 MB, and
    the whole server at most --max-memory.
    """
    from ..serve import serve
    from .common import _store

    with _store(ctx) as store:
        path = store.path
    serve(path, host, port, max_memory)
