"""The `tracker` command: each command parses, calls one library function, prints a table/JSON."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from .cli_common import (
    Group,
    _change,
    _emit,
    _json_option,
    _known_option,
    _show,
    _sources_block,
    _store,
    _strike,
    _table,
    _today,
    seed_files,
)

__all__ = ["main", "seed_files"]


_LAZY = {  # command -> where it is defined, imported when the command is used
    "scenario": ".cli_time:scenario_command",
    "replay": ".cli_time:replay_command",
    "retract": ".cli_time:retract_command",
    "import": ".cli_extra:import_group",
    "plot": ".cli_extra:plot_group",
    "serve": ".cli_extra:serve_command",
    "bench": ".cli_bench:bench",
}


@click.group(cls=Group, lazy=_LAZY)
@click.option(
    "--db",
    type=click.Path(dir_okay=False),
    default=None,
    help="Database file [default: $TRACKER_DB, else ./tracker.db, created from seeds/].",
)
@click.version_option(package_name="geo-state-tracker")
@click.pass_context
def main(ctx: click.Context, db: str | None) -> None:
    """Event-sourced geopolitical state tracker: who stood where toward whom, when, says who."""
    ctx.ensure_object(dict)
    ctx.obj["db"] = db
    ctx.obj["seed"] = db is None
    if db is None:
        ctx.obj["db"] = os.environ.get("TRACKER_DB") or "tracker.db"


@main.command("load")
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def load_command(ctx: click.Context, paths: tuple[str, ...], quiet: bool) -> None:
    """Validate ledger files and append their events in one transaction (all or nothing)."""
    from .loading import load

    with _store(ctx) as store:
        report = load(store, [Path(p) for p in paths], quiet=quiet)
    note = " (already loaded)" if report.added == 0 and report.skipped else ""
    click.echo(
        f"loaded {report.added} new events, {report.skipped} already present{note}; "
        f"{report.dyads} dyads refolded"
    )


@main.command("state")
@click.argument("actor")
@click.argument("counterpart")
@click.option("--on", "on", default=None, help="The day, YYYY-MM-DD [default: today].")
@_known_option
@_json_option
@click.pass_context
def state_command(
    ctx: click.Context,
    actor: str,
    counterpart: str,
    on: str | None,
    known_at: str | None,
    as_json: bool,
) -> None:
    """Every dimension of ACTOR's relationship toward COUNTERPART on a day, with its sources."""
    from .query import state

    with _store(ctx) as store:
        result = state(store, actor, counterpart, on or _today(), known_at)
        result.events  # noqa: B018 (read the sources while the store is open)
    if as_json:
        _emit(result.to_json())
        return
    from .reducers import default

    rows: list[tuple[str, ...]] = []
    quiet: list[str] = []
    order: list[str] = []
    for name, ans in result.dimensions.items():
        if not ans.events and ans.value == default(name):
            quiet.append(name)
            continue
        maybe = " or ".join(_show(v) for v in ans.possible) if ans.uncertain else ""
        ids = "\n".join(
            " ".join(e[:8] for e in ans.events[i : i + 3]) for i in range(0, len(ans.events), 3)
        )
        rows.append((name, _show(ans.value, "\n"), ans.since or "-", maybe, ids))
        order.extend(e for e in ans.events if e not in order)
    known = f" (as known at {result.known_at})" if result.known_at else ""
    click.echo(f"{result.actor} -> {result.counterpart} on {result.on}{known}\n")
    click.echo(
        _table(("dimension", "value", "since", "uncertain: could be", "events"), rows)
        if rows
        else "(no events)"
    )
    if quiet:
        click.echo(f"\nnone: {', '.join(quiet)}")
    if order:
        click.echo("\n" + _sources_block(result.events, order))


@main.command("who")
@click.argument("counterpart")
@click.option(
    "--where", "where", multiple=True, required=True, help="DIMENSION=VALUE (repeatable)."
)
@click.option("--on", "on", default=None, help="The day, YYYY-MM-DD [default: today].")
@_known_option
@_json_option
@click.pass_context
def who_command(
    ctx: click.Context,
    counterpart: str,
    where: tuple[str, ...],
    on: str | None,
    known_at: str | None,
    as_json: bool,
) -> None:
    """The actors whose relationship toward COUNTERPART matches every condition on a day."""
    from .query import parse_condition, who

    conditions = dict(parse_condition(w) for w in where)
    with _store(ctx) as store:
        result = who(store, counterpart, conditions, on or _today(), known_at)
    if as_json:
        _emit(result.to_json())
        return
    wanted = " and ".join(f"{d}={v}" for d, v in result.where.items())
    click.echo(f"toward {result.counterpart}, {wanted}, on {result.on}:")
    click.echo(f"  settled:   {', '.join(result.actors) or '(none)'}")
    click.echo(f"  uncertain: {', '.join(result.uncertain) or '(none)'}")


@main.command("first")
@click.argument("counterpart")
@click.option("--where", "where", required=True, help="DIMENSION=VALUE.")
@click.option("--after", default="0001-01-01", help="Count only changes on or after this day.")
@_known_option
@_json_option
@click.pass_context
def first_command(
    ctx: click.Context,
    counterpart: str,
    where: str,
    after: str,
    known_at: str | None,
    as_json: bool,
) -> None:
    """The first actor whose relationship toward COUNTERPART came to match, on or after a day."""
    from .query import first, parse_condition

    with _store(ctx) as store:
        result = first(store, counterpart, parse_condition(where), after, known_at)
    if as_json:
        _emit(result.to_json())
        return
    if result.actor is None:
        click.echo(
            f"no actor came to match {where} toward {counterpart} on or after {result.after}"
        )
    else:
        click.echo(f"{result.actor}, on {result.on} (event {result.event})")


@main.command("history")
@click.argument("actor")
@click.argument("counterpart")
@_known_option
@_json_option
@click.pass_context
def history_command(
    ctx: click.Context, actor: str, counterpart: str, known_at: str | None, as_json: bool
) -> None:
    """Every event of ACTOR toward COUNTERPART in replay order; withdrawn ones struck out."""
    from events import EventRetracted

    from .query import history

    with _store(ctx) as store:
        entries = history(store, actor, counterpart, known_at)
        sources = store.sources(e.record.id for e in entries)
    if as_json:
        _emit([e.to_json(sources) for e in entries])
        return
    rows = []
    for entry in entries:
        event = entry.record.event
        made = "\n".join(f"{d}: {_change(b, a)}" for d, b, a in entry.changes)
        kind = event.type
        if entry.retracted_by:
            kind = _strike(kind)
            made = f"withdrawn by {entry.retracted_by[:8]}"
        elif isinstance(event, EventRetracted):
            made = f"withdraws {event.target[:8]}: {event.reason}"
        elif event.corrects is not None:
            made = "\n".join(filter(None, [made, f"(replaces {event.corrects[:8]})"]))
        dyad = f"{event.actor}->{event.counterpart}"
        rows.append((event.on, entry.record.id[:8], kind, dyad, made))
    click.echo(_table(("on", "id", "event", "dyad", "changes"), rows) if rows else "(no events)")


@main.command("entities")
@_json_option
@click.pass_context
def entities_command(ctx: click.Context, as_json: bool) -> None:
    """The declared entities (states are known by their ISO 3166 alpha-3 codes)."""
    with _store(ctx) as store:
        entities = store.entities()
    if as_json:
        _emit(
            [
                {"id": e.id, "name": e.name, "kind": e.kind, "aliases": list(e.aliases)}
                for e in entities
            ]
        )
        return
    click.echo(
        _table(
            ("id", "kind", "name", "aliases"),
            [(e.id, e.kind, e.name, ", ".join(e.aliases)) for e in entities],
        )
    )


@main.command("verify")
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


@main.command("export")
@click.option(
    "--format", "fmt", type=click.Choice(["jsonl", "toml"]), default="jsonl", show_default=True
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), default="-", help="File [default: stdout]."
)
@click.pass_context
def export_command(ctx: click.Context, fmt: str, output: str) -> None:
    """Write every entity and event as a ledger that loads back with the same ids."""
    from .ledger import dump

    with _store(ctx) as store:
        text = dump(store.entities(), store.scan(), fmt)
    if output == "-":
        sys.stdout.write(text)
    else:
        Path(output).write_text(text, encoding="utf-8")


@main.command("rebuild")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def rebuild_command(ctx: click.Context, quiet: bool) -> None:
    """Drop the derived tables and rebuild them from the events."""
    from .loading import progress_bar

    with _store(ctx) as store, progress_bar(store.count(), "rebuilding", quiet) as tick:
        count = store.rebuild(progress=tick)
    click.echo(f"rebuilt the projections from {count} events")
