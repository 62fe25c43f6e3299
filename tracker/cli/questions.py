"""The questions: `state`, `who`, `first`, `history` and `entities`, each one library call."""

from __future__ import annotations

from collections.abc import Iterator
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

_CURATED = click.option(
    "--curated-only",
    is_flag=True,
    help="Leave out machine-coded events (GDELT and the like): only what a person coded.",
)
MACHINE_NOTE = (
    "* rests only on machine-coded events (GDELT and the like): no person read their sources; "
    "--curated-only leaves them out"
)


@click.command("state")
@click.argument("actor")
@click.argument("counterpart")
@click.option("--on", "on", default=None, help="The day, YYYY-MM-DD [default: today].")
@_known_option
@_CURATED
@_json_option
@click.pass_context
def state_command(
    ctx: click.Context,
    actor: str,
    counterpart: str,
    on: str | None,
    known_at: str | None,
    curated_only: bool,
    as_json: bool,
) -> None:
    """Every dimension of ACTOR's relationship toward COUNTERPART on a day, with its sources.

    On a day either entity does not exist (its lifespan), the answer says so and why.
    """
    from ..query import state

    with _store(ctx) as store:
        day = on or _today()
        result = state(store, actor, counterpart, day, known_at, curated_only=curated_only)
        result.events  # noqa: B018 (read the sources while the store is open)
    if as_json:
        _emit(result.to_json())
        return
    from ..reducers import default

    rows: list[tuple[str, ...]] = []
    quiet: list[str] = []
    order: list[str] = []
    coded = False
    for name, ans in result.dimensions.items():
        if not ans.events and ans.value == default(name):
            quiet.append(name)
            continue
        maybe = " or ".join(_show(v) for v in ans.possible) if ans.uncertain else ""
        ids = "\n".join(
            " ".join(e[:8] for e in ans.events[i : i + 3]) for i in range(0, len(ans.events), 3)
        )
        value = _show(ans.value, "\n") + (" *" if ans.machine_coded else "")
        coded |= ans.machine_coded
        rows.append((name, value, ans.since or "-", maybe, ids))
        order.extend(e for e in ans.events if e not in order)
    notes = [f" (as known at {result.known_at})"] if result.known_at else []
    notes += [" (curated events only)"] if result.curated_only else []
    click.echo(f"{result.actor} -> {result.counterpart} on {result.on}{''.join(notes)}\n")
    lines = _lifespan_lines(result)
    for life in result.lifespans.values() if lines else ():
        order.extend(e for e in life.events if e not in order and life.exists != "yes")
    if lines:
        click.echo("\n".join(lines) + ("\n" if result.exists != "no" else ""))
    if result.exists != "no":
        click.echo(
            _table(("dimension", "value", "since", "uncertain: could be", "events"), rows)
            if rows
            else "(no events)"
        )
        if coded:
            click.echo(f"\n{MACHINE_NOTE}")
        if quiet:
            click.echo(f"\nnone: {', '.join(quiet)}")
    if order:
        click.echo("\n" + _sources_block(result.events, order))


_VERBS = {  # (a beginning, uncertain) -> how the line says it
    (True, False): "came into being",
    (True, True): "may have come into being",
    (False, False): "ceased to exist",
    (False, True): "may have ceased to exist",
}


def _lifespan_lines(result: Any) -> list[str]:
    """Why a dyad does not exist, or may not, on the day asked: one line per entity."""
    head = {"no": "does not exist", "uncertain": "may not exist"}.get(result.exists)
    if head is None:
        return []
    lines = [f"{result.actor} -> {result.counterpart} {head} on {result.on}:"]
    for entity, life in result.lifespans.items():
        if life.exists == "yes":
            continue
        said = []
        for event_id in life.events:
            info = result.events.get(event_id, {})
            kind, when = info.get("type", "?"), info.get("on", "?")
            verb = _VERBS[kind == "entity_began", life.exists == "uncertain"]
            said.append(f"{verb} on {when} (event {event_id[:8]})")
        lines.append(f"  {entity} {' or '.join(said) or 'has no lifespan then'}")
        if life.successors:
            lines.append(f"    successors: {', '.join(life.successors)}")
        if life.predecessors:
            lines.append(f"    predecessors: {', '.join(life.predecessors)}")
    return lines


@click.command("who")
@click.argument("counterpart")
@click.option(
    "--where", "where", multiple=True, required=True, help="DIMENSION=VALUE (repeatable)."
)
@click.option("--on", "on", default=None, help="The day, YYYY-MM-DD [default: today].")
@_known_option
@_CURATED
@_json_option
@click.pass_context
def who_command(
    ctx: click.Context,
    counterpart: str,
    where: tuple[str, ...],
    on: str | None,
    known_at: str | None,
    curated_only: bool,
    as_json: bool,
) -> None:
    """The actors whose relationship toward COUNTERPART matches every condition on a day.

    Actors whose dyad does not exist that day (entity lifespans) are left out.
    """
    from ..query import parse_condition, who

    conditions = dict(parse_condition(w) for w in where)
    with _store(ctx) as store:
        day = on or _today()
        result = who(store, counterpart, conditions, day, known_at, curated_only=curated_only)
    if as_json:
        _emit(result.to_json())
        return
    wanted = " and ".join(f"{d}={v}" for d, v in result.where.items())
    coded = set(result.machine_coded)

    def names(actors: list[str]) -> str:
        return ", ".join(a + (" *" if a in coded else "") for a in actors) or "(none)"

    only = " (curated events only)" if result.curated_only else ""
    click.echo(f"toward {result.counterpart}, {wanted}, on {result.on}{only}:")
    click.echo(f"  settled:   {names(result.actors)}")
    click.echo(f"  uncertain: {names(result.uncertain)}")
    if coded:
        click.echo(MACHINE_NOTE)


@click.command("first")
@click.argument("counterpart")
@click.option("--where", "where", required=True, help="DIMENSION=VALUE.")
@click.option("--after", default="0001-01-01", help="Count only changes on or after this day.")
@_known_option
@_CURATED
@_json_option
@click.pass_context
def first_command(
    ctx: click.Context,
    counterpart: str,
    where: str,
    after: str,
    known_at: str | None,
    curated_only: bool,
    as_json: bool,
) -> None:
    """The first actor whose relationship toward COUNTERPART came to match, on or after a day."""
    from ..query import first, parse_condition

    with _store(ctx) as store:
        condition = parse_condition(where)
        result = first(store, counterpart, condition, after, known_at, curated_only=curated_only)
    if as_json:
        _emit(result.to_json())
        return
    if result.actor is None:
        click.echo(
            f"no actor came to match {where} toward {counterpart} on or after {result.after}"
        )
    else:
        coded = " *" if result.machine_coded else ""
        click.echo(f"{result.actor}, on {result.on} (event {result.event}){coded}")
        if coded:
            click.echo(MACHINE_NOTE)


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
        machine: list[bool] = []  # whether some entry was machine-coded (seen as they stream)

        def rows() -> Iterator[tuple[str, ...]]:
            for entry in entries:
                if entry.record.machine_coded and not machine:
                    machine.append(True)
                yield _history_row(entry)

        shown = _stream_table(("on", "id", "event", "dyad", "changes"), rows())
    if not shown:
        click.echo("(no events)")
    if machine:
        click.echo(f"\n{MACHINE_NOTE.replace('rests only on', 'is')}")


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
    if entry.outside:
        made = "(dated when the dyad did not exist: changes nothing)"
    if entry.record.machine_coded:
        kind += " *"
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
