"""`tracker bench`: a synthetic world, and the engine measured beside plain baselines.

Loaded by the main group on first use. Imports nothing heavy: the measurements
(and DuckDB, the optional `[bench]` extra) load only when a bench command runs.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click


def _run_options(events_default: int | None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
        options = [
            click.option(
                "--events",
                type=click.IntRange(1),
                default=events_default,
                show_default=events_default is not None,
                help="Events in the synthetic log.",
            ),
            click.option("--seed", type=int, default=1, show_default=True, help="Random seed."),
            click.option(
                "--json",
                "json_path",
                default=None,
                help="Also write the figures as JSON to this file ('-': stdout, table to stderr).",
            ),
            click.option(
                "--keep",
                type=click.Path(file_okay=False),
                default=None,
                help="Keep the log and database in this folder [default: a temporary folder].",
            ),
            click.option(
                "--queries",
                type=click.IntRange(1),
                default=1000,
                show_default=True,
                help="Random (dyad, day) pairs per point-query measurement.",
            ),
            click.option(
                "--runs",
                type=click.IntRange(1),
                default=5,
                show_default=True,
                help="Fresh `tracker state` processes timed (the median is kept).",
            ),
        ]
        for option in reversed(options):
            f = option(f)
        return f

    return decorate


@click.group("bench", invoke_without_command=True)
@_run_options(None)
@click.pass_context
def bench(
    ctx: click.Context,
    events: int | None,
    seed: int,
    json_path: str | None,
    keep: str | None,
    queries: int,
    runs: int,
) -> None:
    """Benchmark a synthetic log: load, rebuild, queries, beside fold, SQLite and DuckDB.

    `tracker bench --events N` is short for `tracker bench run --events N`.
    """
    if ctx.invoked_subcommand is not None:
        return
    if events is None:
        click.echo(ctx.get_help())
        return
    _run(events, seed, json_path, keep, queries, runs)


@bench.command("generate")
@click.option("--events", type=click.IntRange(1), required=True, help="Events to write.")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed.")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), required=True, help="Ledger file (.jsonl)."
)
def generate_command(events: int, seed: int, output: str) -> None:
    """Write a deterministic synthetic JSON Lines ledger (same seed, same bytes)."""
    from ..bench.synthetic import generate
    from ..errors import TrackerError

    try:
        report = generate(output, events, seed)
    except OSError as error:
        raise TrackerError(f"{output}: {error.strerror or error}") from None
    click.echo(
        f"wrote {report['events']:,} events to {output} "
        f"({report['bytes'] / 1e6:,.1f} MB, {report['seconds']:.1f} s)"
    )


@bench.command("run")
@_run_options(100_000)
def run_command(
    events: int, seed: int, json_path: str | None, keep: str | None, queries: int, runs: int
) -> None:
    """Generate a log, measure the engine and its baselines on it, print a table (and JSON)."""
    _run(events, seed, json_path, keep, queries, runs)


def _run(
    events: int, seed: int, json_path: str | None, keep: str | None, queries: int, runs: int
) -> None:
    import tempfile

    from ..bench.runner import run

    if keep is not None:
        result = run(events, seed, keep, queries=queries, runs=runs)
    else:
        with tempfile.TemporaryDirectory(prefix="tracker-bench-") as work:
            result = run(events, seed, work, queries=queries, runs=runs)
    text = json.dumps(result, indent=2)
    click.echo(table(result), err=json_path == "-")
    if json_path == "-":
        sys.stdout.write(text + "\n")
    elif json_path is not None:
        Path(json_path).write_text(text + "\n", encoding="utf-8")
        click.echo(f"\nfigures written to {json_path}", err=True)


@bench.command("show")
@click.argument("path", type=click.Path(dir_okay=False, exists=True))
@click.option("--markdown", "as_markdown", is_flag=True, help="Print a Markdown table.")
def show_command(path: str, as_markdown: bool) -> None:
    """Print the table of the figures saved by `tracker bench run --json FILE`."""
    from ..bench.runner import targets

    result = _saved(path)
    result["targets"] = targets(result)  # judged again, by this version's rules
    click.echo(markdown(result) if as_markdown else table(result))


@bench.command("scale")
@click.argument("small", type=click.Path(dir_okay=False, exists=True))
@click.argument("large", type=click.Path(dir_okay=False, exists=True))
def scale_command(small: str, large: str) -> None:
    """Compare the cost per event of two `tracker bench run --json` results (say 1M and 5M).

    Exits 0 whatever the verdicts: they are figures, printed with the targets beside them.
    """
    from ..bench.scaling import scale_rows
    from .common import _table

    first, second = _saved(small), _saved(large)
    sizes = [f"{r.get('meta', {}).get('events', 0):,} events" for r in (first, second)]
    out = [
        (
            row["measure"],
            _num(row["small"], "", 2),
            _num(row["large"], "", 2),
            "-" if row["ratio"] is None else f"{row['ratio']:.2f}x",
            f"{row['target']}: " + {None: "-", True: "met", False: "MISSED"}[row["met"]],
        )
        for row in scale_rows(first, second)
    ]
    click.echo(_table(("measure", *sizes, "large / small", "target"), out))


def _saved(path: str) -> dict[str, Any]:
    """The figures `tracker bench run --json` wrote to `path` (a TrackerError if not that)."""
    from ..errors import TrackerError

    try:
        result = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise TrackerError(f"{path}: not the JSON of `tracker bench run`: {error}") from None
    if not isinstance(result, dict) or not isinstance(result.get("meta"), dict):
        raise TrackerError(f"{path}: not the JSON of `tracker bench run` (no 'meta' object)")
    return result


# -- the results table ---------------------------------------------------------------------


def _num(value: Any, unit: str = "", digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}{' ' + unit if unit else ''}"


def _faster(ours: float | None, baseline: float | None, higher: bool = False) -> str:
    """Ours against a baseline, as `N.Nx faster` or `N.Nx slower` (rates: higher is better)."""
    if not ours or not baseline:
        return "-"
    ratio = ours / baseline if higher else baseline / ours
    return f"{ratio:,.1f}x faster" if ratio >= 1 else f"{1 / ratio:,.1f}x slower"


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def rows(result: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """(measure, ours, baselines, ours vs each baseline, target and verdict) for each figure."""
    goals = {t["metric"]: t for t in result.get("targets", [])}
    no_duck = _get(result, "duckdb", "error") or "-"

    def goal(*metrics: str) -> str:
        found = [goals[m] for m in metrics if m in goals]
        return "\n".join(f"{t['target']}: {t['note']}" for t in found) or "-"

    out: list[tuple[str, str, str, str, str]] = []

    no_peer = _get(result, "peer", "error") or "-"

    def rate(name: str, key: str, base_key: str, base_name: str, peer: str, written: str) -> None:
        ours = _get(result, key, "events_per_s")
        base = _get(result, base_key, "events_per_s")
        ceiling = _get(result, "ceiling", key, "events_per_s")
        peer_rate = _get(result, "peer", peer, "events_per_s")
        error = _get(result, key, "error") or _get(result, base_key, "error")
        peer_text = _num(peer_rate, "events/s") if peer_rate else no_peer
        out.append(
            (
                name,
                _num(ours, "events/s") if ours else str(error or "-"),
                f"{base_name}: {_num(base, 'events/s')}\n"
                f"write ceiling ({written}, in SQL): {_num(ceiling, 'events/s')}\n"
                f"eventsourcing {peer}: {peer_text}",
                f"{_faster(ours, base, higher=True)}\n{_faster(ours, ceiling, higher=True)}\n"
                f"{_faster(ours, peer_rate, higher=True)}",
                goal(f"{key} rate", f"{key} vs the peer's {peer}"),
            )
        )

    gen = result.get("generate", {})
    out.append(("generate log", _num(gen.get("events_per_s"), "events/s"), "-", "-", "no target"))
    rate(
        "load (validate, hash, chain, project)",
        *("load", "load_baseline", "raw sqlite3", "record", "every row a load writes"),
    )
    rate(
        "rebuild projection",
        *("rebuild", "rebuild_baseline", "plain replay", "replay", "the derived rows"),
    )
    for kind in ("light", "heavy"):
        point = _get(result, "point", kind) or {}
        for stat, label in (("median_us", "median"), ("p99_us", "p99")):
            ours = _get(point, "ours", stat)
            bases = [("fold from store", _get(point, "fold", stat))]
            for key, name in (("duckdb_arg_max", "DuckDB arg_max"), ("duckdb_asof", "DuckDB ASOF")):
                bases.append((name, _get(point, key, stat)))
            metrics = [f"point {label} ({kind})"]
            if stat == "median_us":
                metrics.append(f"point vs DuckDB ({kind})")
            out.append(
                (
                    f"one dyad at a date, {label} ({kind} dyads)",
                    _num(ours, "µs", 1),
                    "\n".join(
                        f"{n}: {no_duck if v is None and 'DuckDB' in n else _num(v, 'µs', 1)}"
                        for n, v in bases
                    ),
                    "\n".join(_faster(ours, v) for _, v in bases),
                    goal(*metrics),
                )
            )
        with_sources = _get(point, "ours_with_sources") or {}
        out.append(
            (
                f"one dyad at a date and its sources ({kind} dyads)",
                f"median {_num(with_sources.get('median_us'), 'µs', 1)}\n"
                f"p99 {_num(with_sources.get('p99_us'), 'µs', 1)}",
                "-",
                "-",
                "no target (sources are read on first use of .events)",
            )
        )
    world = result.get("world", {})
    duck_world = world.get("duckdb_arg_max_ms")
    agree = world.get("duckdb_agrees")
    out.append(
        (
            "every dyad at a date (median of 5 days)",
            _num(world.get("ours_ms"), "ms", 1),
            f"DuckDB arg_max: {_num(duck_world, 'ms', 1) if duck_world is not None else no_duck}"
            + ("" if agree is None else f"\n(same settled values: {'yes' if agree else 'NO'})"),
            _faster(world.get("ours_ms"), duck_world),
            goal("world: ours / DuckDB arg_max"),
        )
    )
    out.append(
        (
            "every dyad at a date, every answer read",
            _num(world.get("ours_read_all_ms"), "ms", 1),
            "-",
            _faster(world.get("ours_read_all_ms"), duck_world),
            "no target (answers are decoded on first read)",
        )
    )
    scenario = result.get("scenario", {})
    out.append(
        (
            "scenario adding one event",
            f"light dyad: {_num(scenario.get('light_ms'), 'ms', 2)}\n"
            f"heavy dyad: {_num(scenario.get('heavy_ms'), 'ms', 2)}",
            "-",
            "-",
            goal("one-event scenario"),
        )
    )
    cli = result.get("cli_state", {})
    out.append(
        (
            "`tracker state` fresh process",
            f"light dyad: {_num(cli.get('light_ms'), 'ms', 1)}\n"
            f"heavy dyad: {_num(cli.get('heavy_ms'), 'ms', 1)}",
            f"python -c pass: {_num(cli.get('python_startup_ms'), 'ms', 1)}",
            "-",
            goal("`tracker state` fresh process"),
        )
    )
    for phase, base_key, base_name, peer in (
        ("load", "load_baseline", "raw insert", "record"),
        ("rebuild", "rebuild_baseline", "plain replay", "replay"),
    ):
        out.append(
            (
                f"{phase} peak RSS",
                f"{_num(_get(result, phase, 'peak_rss_mb'), 'MB')} "
                f"(idle {_num(_get(result, phase, 'start_rss_mb'), 'MB')})",
                f"{base_name}: {_num(_get(result, base_key, 'peak_rss_mb'), 'MB')}\n"
                f"eventsourcing {peer}: {_num(_get(result, 'peer', peer, 'peak_rss_mb'), 'MB')}",
                "-",
                goal(f"{phase} peak RSS"),
            )
        )
    return out


HEADERS = ("measure", "ours", "baseline (same run)", "ours vs baseline", "target at 1M: verdict")


def table(result: dict[str, Any]) -> str:
    """The figures as a plain-text table, with a heading naming the log and the machine."""
    from .common import _table

    meta = result.get("meta", {})
    head = (
        f"tracker bench: {meta.get('events', 0):,} events, seed {meta.get('seed')}, "
        f"{meta.get('dyads', '?'):,} dyads; Python {meta.get('python')}, "
        f"SQLite {meta.get('sqlite')}, DuckDB {_get(result, 'duckdb', 'version') or '-'}, "
        f"eventsourcing {_get(result, 'peer', 'version') or '-'}, "
        f"{meta.get('cpus')} CPUs"
    )
    disagreements = _get(result, "point", "fold_disagreements")
    note = f"\nWARNING: {disagreements} point answers differ from the fold" if disagreements else ""
    return f"{head}\n\n{_table(HEADERS, rows(result))}{note}"


def markdown(result: dict[str, Any]) -> str:
    """The same table in Markdown (for the README)."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", "<br>")

    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows(result)]
    return "\n".join(lines)
