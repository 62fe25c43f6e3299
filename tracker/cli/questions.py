"""The questions: `state`, `who`, `first`, `history` and `entities`, each one library call."""

from __future__ import annotations

from typing import Any

import click

from .common import (
    _change,
    _clean,
    _emit,
    _emit_stream,
    _json_option,
    _known_option,
    _show,
    _sources_block,
    _store,
    _stream_table,
    _strike,
    _table,
    _today,
)


@click.command("state")
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
    from ..query import state

    with _store(ctx) as store:
        result = state(store, actor, counterpart, on or _today(), known_at)
        result.events  # noqa: B018 (read the sources while the store is open)
    if as_json:
        _emit(result.to_json())
        return
    from ..reducers import default

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


@click.command("who")
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
    from ..query import parse_condition, who

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


@click.command("first")
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
    from ..query import first, parse_condition

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


@click.command("history")
@click.argument("actor")
@click.argument("counterpart")
@_known_option
@_json_option
@click.pass_context
def history_command(
    ctx: click.Context, actor: str, counterpart: str, known_at: str | None, as_json: bool
) -> None:
    """Every event of ACTOR toward COUNTERPART in replay order; withdrawn ones struck out."""
    import orjson

    from ..query import iter_history

    with _store(ctx) as store:
        entries = iter_history(store, actor, counterpart, known_at)
        if as_json:  # streamed: a dyad of any size prints in the memory of one event
            _emit_stream(
                e.to_json(
                    {e.record.id: {"sources": orjson.loads(e.record.body).get("sources", [])}}
                )
                for e in entries
            )
            return
        shown = _stream_table(("on", "id", "event", "dyad", "changes"), map(_history_row, entries))
    if not shown:
        click.echo("(no events)")


def _history_row(entry: Any) -> tuple[str, ...]:
    """One line of the history table."""
    from events import EventRetracted

    event = entry.record.event
    made = "\n".join(f"{d}: {_change(b, a)}" for d, b, a in entry.changes)
    kind = event.type
    if entry.retracted_by:
        kind = _strike(kind)
        made = f"withdrawn by {entry.retracted_by[:8]}"
    elif isinstance(event, EventRetracted):
        made = f"withdraws {event.target[:8]}: {_clean(event.reason)}"
    elif event.corrects is not None:
        made = "\n".join(filter(None, [made, f"(replaces {event.corrects[:8]})"]))
    return (event.on, entry.record.id[:8], kind, f"{event.actor}->{event.counterpart}", made)


@click.command("entities")
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
