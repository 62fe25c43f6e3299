"""The questions: `state`, `who`, `first`, `history` and `entities`, each one library call."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import click

from .common import (
    _change,
    _clean,
    _emit,
    _emit_rows,
    _emit_stream,
    _formats,
    _known_option,
    _n,
    _notes,
    _resolved_note,
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
@_formats
@click.pass_context
def state_command(
    ctx: click.Context,
    actor: str,
    counterpart: str,
    on: str | None,
    known_at: str | None,
    curated_only: bool,
    fmt: str,
) -> None:
    """Every dimension of ACTOR's relationship toward COUNTERPART on a day, with its sources.

    ACTOR and COUNTERPART are ids (in any case), names or aliases. On a day either entity
    does not exist (its lifespan), the answer says so and why; the dyad's incidents (attacks,
    visits) by that day are listed.
    """
    from ..frames import state_rows
    from ..query import state

    with _store(ctx) as store:
        day = on or _today()
        result = state(store, actor, counterpart, day, known_at, curated_only=curated_only)
        result.events  # noqa: B018 (read the sources while the store is open)
        incidents = result.incidents
        cited = store.sources(i["id"] for i in incidents[-_SHOWN:]) if fmt == "table" else {}
    _notes(result, fmt)
    if fmt == "json":
        _emit(result.to_json())
        return
    if fmt != "table":
        _emit_rows(state_rows(result), fmt)
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
        if rows:
            click.echo(
                _table(("dimension", "value", "since", "uncertain: could be", "events"), rows)
            )
        elif incidents:
            click.echo(f"(no state changes; {_n(len(incidents), 'incident')})")
        else:
            click.echo("(no events)")
        if coded:
            click.echo(f"\n{MACHINE_NOTE}")
        if quiet:
            click.echo(f"\nnone: {', '.join(quiet)}")
    if incidents:
        click.echo("\n" + "\n".join(_incident_lines(incidents, result)))
        order.extend(i["id"] for i in incidents[-_SHOWN:])
    if order:
        click.echo("\n" + _sources_block({**result.events, **cited}, order))


_SHOWN = 10  # incidents listed by `state` (the latest); `history` has them all


def _incident_lines(incidents: list[dict[str, Any]], result: Any) -> list[str]:
    """The incidents of a state answer: date, id, type and what happened."""
    lines = [f"incidents by {result.on}"]
    earlier = len(incidents) - _SHOWN
    if earlier > 0:
        lines.append(
            f"  ({_n(earlier, 'earlier incident')}: tracker history "
            f"{result.actor} {result.counterpart})"
        )
    for found in incidents[-_SHOWN:]:
        lines.append(f"  {found['on']}  {found['id'][:8]}  {found['type']}: {_said(found)}")
    return lines


def _said(details: dict[str, Any]) -> str:
    """What an event says in words: its summary, the dead, a stance."""
    parts = [_clean(details["summary"])] if details.get("summary") else []
    if details.get("killed") is not None:
        parts.append(f"({details['killed']} killed)")
    if details.get("casualties") is not None:
        parts.append(f"({details['casualties']} dead)")
    if not parts and details.get("stance"):
        parts.append(f"stance {details['stance']}")
    return " ".join(parts) or "(no summary)"


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
    "--where",
    "where",
    multiple=True,
    required=True,
    help="DIMENSION=VALUE (repeatable; every one must hold).",
)
@click.option("--on", "on", default=None, help="The day, YYYY-MM-DD [default: today].")
@_known_option
@_CURATED
@_formats
@click.pass_context
def who_command(
    ctx: click.Context,
    counterpart: str,
    where: tuple[str, ...],
    on: str | None,
    known_at: str | None,
    curated_only: bool,
    fmt: str,
) -> None:
    """The actors whose relationship toward COUNTERPART matches every condition on a day.

    Two values of one set dimension are both required; two of a single-valued one cannot
    both hold (an error). Actors whose dyad does not exist that day (entity lifespans) are
    left out.
    """
    from ..conditions import describe, parse
    from ..frames import who_rows
    from ..query import who

    conditions = parse(where)
    with _store(ctx) as store:
        day = on or _today()
        result = who(store, counterpart, conditions, day, known_at, curated_only=curated_only)
    _notes(result, fmt)
    if fmt == "json":
        _emit(result.to_json())
        return
    if fmt != "table":
        _emit_rows(who_rows(result), fmt)
        return
    coded = set(result.machine_coded)

    def names(actors: list[str]) -> str:
        return ", ".join(a + (" *" if a in coded else "") for a in actors) or "(none)"

    only = " (curated events only)" if result.curated_only else ""
    click.echo(f"toward {result.counterpart}, {describe(result.where)}, on {result.on}{only}:")
    click.echo(f"  settled:   {names(result.actors)}")
    click.echo(f"  uncertain: {names(result.uncertain)}")
    if coded:
        click.echo(MACHINE_NOTE)


@click.command("first")
@click.argument("counterpart")
@click.option(
    "--where",
    "where",
    multiple=True,
    required=True,
    help="DIMENSION=VALUE (repeatable; every one must hold).",
)
@click.option("--after", default="0001-01-01", help="Count only changes on or after this day.")
@_known_option
@_CURATED
@_formats
@click.pass_context
def first_command(
    ctx: click.Context,
    counterpart: str,
    where: tuple[str, ...],
    after: str,
    known_at: str | None,
    curated_only: bool,
    fmt: str,
) -> None:
    """The first actor whose relationship toward COUNTERPART came to match, on or after a day.

    When the dates cannot tell who was first (several actors whose match was settled the same
    day, or possible by then), every such actor is listed and the order is said to be unknown.
    """
    from ..conditions import describe, parse
    from ..dates import OPEN_START
    from ..frames import first_rows
    from ..query import first

    conditions = parse(where)
    with _store(ctx) as store:
        result = first(store, counterpart, conditions, after, known_at, curated_only=curated_only)
    _notes(result, fmt)
    if fmt == "json":
        _emit(result.to_json())
        return
    if fmt != "table":
        _emit_rows(first_rows(result), fmt)
        return
    since = "" if result.after == OPEN_START else f" on or after {result.after}"
    wanted = f"{describe(result.where)} toward {result.counterpart}{since}"
    if not result.candidates:
        click.echo(f"no actor came to match {wanted}")
        return
    if result.actor is not None:
        coded = " *" if result.machine_coded else ""
        click.echo(f"{result.actor}, on {result.on} (event {result.event}){coded}")
    else:
        settled = [c for c in result.candidates if c.settled is not None]
        if settled:
            head = f"order unknown: {_n(len(result.candidates), 'actor')} may have been first"
        else:
            head = "no actor is known to have come to match; these may have"
        click.echo(f"{head} to match {wanted}:")
        rows = [
            (
                c.actor + (" *" if c.machine_coded else ""),
                c.on or "-",
                c.settled or "(not settled)",
                ".." if c.possible_from == OPEN_START else c.possible_from,
                c.event or "-",
            )
            for c in result.candidates
        ]
        click.echo(_table(("actor", "on", "settled", "possible from", "event"), rows))
    if any(c.machine_coded for c in result.candidates):
        click.echo(MACHINE_NOTE)


@click.command("history")
@click.argument("actor")
@click.argument("counterpart")
@_known_option
@_formats
@click.pass_context
def history_command(
    ctx: click.Context, actor: str, counterpart: str, known_at: str | None, fmt: str
) -> None:
    """Every event of ACTOR toward COUNTERPART in replay order, with what each changed and
    says (summaries, the dead, stances); withdrawn ones struck out."""
    from ..frames import history_rows
    from ..query import iter_history

    resolved: dict[str, str] = {}
    with _store(ctx) as store:
        entries = iter_history(store, actor, counterpart, known_at, resolved)
        first = next(entries, None)  # the names are resolved by then
        _resolved_note(resolved, fmt)
        entries = itertools.chain([first] if first else [], entries)
        if fmt == "json":  # streamed: a dyad of any size prints in the memory of one event
            _emit_stream(e.to_json() for e in entries)
            return
        if fmt != "table":
            _emit_rows(history_rows(entries), fmt)
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
    said = entry.details
    if said.get("summary") or said.get("killed") is not None or not entry.changes:
        made = "\n".join(filter(None, [made, _said(said) if said else ""]))
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
@_formats
@click.pass_context
def entities_command(ctx: click.Context, fmt: str) -> None:
    """The declared entities (states are known by their ISO 3166 alpha-3 codes)."""
    from ..frames import entity_rows

    with _store(ctx) as store:
        entities = store.entities()
    if fmt == "json":
        _emit(
            [
                {"id": e.id, "name": e.name, "kind": e.kind, "aliases": list(e.aliases)}
                for e in entities
            ]
        )
        return
    if fmt != "table":
        _emit_rows(entity_rows(entities), fmt)
        return
    click.echo(
        _table(
            ("id", "kind", "name", "aliases"),
            [(e.id, e.kind, e.name, ", ".join(e.aliases)) for e in entities],
        )
    )
