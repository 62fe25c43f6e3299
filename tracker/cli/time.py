"""The commands about time: `scenario`, `replay` and `retract`, loaded by `tracker` on first use."""

from __future__ import annotations

from typing import Any

import click

from ..errors import TrackerError
from .common import (
    _change,
    _clean,
    _emit,
    _emit_rows,
    _formats,
    _known_option,
    _n,
    _resolved_note,
    _show,
    _store,
    _stream_table,
    _table,
    _today,
)


@click.command("scenario")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--on", "on", multiple=True, help="A day to compare, YYYY-MM-DD (repeatable).")
@_known_option
@_formats
@click.pass_context
def scenario_command(
    ctx: click.Context, path: str, on: tuple[str, ...], known_at: str | None, fmt: str
) -> None:
    """Run a scenario file against the log (never writing to it) and show what differs."""
    import attrs

    from ..dates import timestamp
    from ..scenario import Scenario

    scenario = Scenario.from_file(path)
    if known_at is not None:
        scenario = attrs.evolve(scenario, known_at=timestamp(known_at))
    with _store(ctx) as store:
        result = scenario.run(store, on)
    if fmt == "json":
        _emit(result.to_json())
        return
    if fmt != "table":
        from ..frames import scenario_rows

        _emit_rows(scenario_rows(result), fmt)
        return
    click.echo(f"scenario: {_clean(result.name)}")
    if result.known_at:
        click.echo(f"base log as known at {result.known_at}")
    touched = ", ".join(f"{a}->{c}" for a, c in result.touched)
    click.echo(f"touches {_n(len(result.touched), 'dyad')}: {touched}")
    for day, diffs in result.dates.items():
        click.echo(f"\non {day}:")
        if not diffs:
            click.echo("  no difference from the baseline")
            continue
        rows = [
            (
                f"{d.dyad[0]}->{d.dyad[1]}",
                d.dimension,
                _show(d.baseline.value) + (" (uncertain)" if d.baseline.uncertain else ""),
                _show(d.scenario.value) + (" (uncertain)" if d.scenario.uncertain else ""),
                " ".join(e[:8] for e in d.events),
            )
            for d in diffs
        ]
        click.echo(_table(("dyad", "dimension", "baseline", "scenario", "because of"), rows))


@click.command("replay")
@click.argument("dyad", nargs=-1)
@click.option("--counterpart", default=None, help="Everything toward this counterpart.")
@click.option("--from", "start", default=None, help="First day, YYYY-MM-DD [default: the start].")
@click.option("--to", "end", default=None, help="Last day, YYYY-MM-DD [default: the end].")
@click.option(
    "--scenario",
    "scenario_path",
    default=None,
    type=click.Path(dir_okay=False),
    help="Replay the log as changed by this scenario file.",
)
@_known_option
@_formats
@click.pass_context
def replay_command(
    ctx: click.Context,
    dyad: tuple[str, ...],
    counterpart: str | None,
    start: str | None,
    end: str | None,
    scenario_path: str | None,
    known_at: str | None,
    fmt: str,
) -> None:
    """Stream every change of state in order: for ACTOR COUNTERPART, a counterpart, or the world.

    Incidents (attacks, visits) come in the stream too, with their summaries and dead.
    --json prints JSON Lines, one change a line (as --nl does).
    """
    from ..dates import OPEN_END, OPEN_START, day, timestamp
    from ..frames import replay_rows
    from ..names import resolve
    from ..replay import change_json, replay

    if len(dyad) not in (0, 2):
        raise TrackerError("give ACTOR COUNTERPART, or neither (use --counterpart for one side)")
    if dyad and counterpart:
        raise TrackerError("give ACTOR COUNTERPART or --counterpart, not both")
    actor, toward = (dyad[0], dyad[1]) if dyad else (None, counterpart)
    with _store(ctx) as store:
        resolved: dict[str, str] = {}
        actor = None if actor is None else resolve(store, actor, resolved)
        toward = None if toward is None else resolve(store, toward, resolved)
        _resolved_note(resolved, "nl" if fmt == "json" else fmt)
        extra: list[Any] = []
        withdrawn: list[str] = []
        if scenario_path is not None:
            from ..scenario import Scenario

            scenario = Scenario.from_file(scenario_path)
            extra = scenario.records(store.head()[0])
            known_at = known_at or scenario.known_at
            withdrawn = scenario.withdrawn(store, extra, known_at and timestamp(known_at))
        changes = replay(
            store,
            actor,
            toward,
            start=day(start) if start else OPEN_START,
            end=day(end) if end else OPEN_END,
            known_at=known_at,
            extra=extra,
            withdrawn=withdrawn,
            incidents=True,
        )
        items = (change_json(change) for change in changes)
        if fmt == "table":
            count = _stream_table(_REPLAY_HEADERS, (_change_row(data) for data in items))
        else:
            count = _emit_rows(replay_rows(items), "nl" if fmt == "json" else fmt)
        if fmt == "table" and count == 0:
            click.echo("(no changes)")


_REPLAY_HEADERS = ("on", "dyad", "dimension", "change", "event", "sources")


def _change_row(data: dict[str, Any]) -> tuple[str, ...]:
    """One line of the replay table: a change, or an incident and what it says."""
    from .questions import _said

    cites = _clean("; ".join(f"{s['publisher']}, {s['date']}" for s in data["sources"]))
    mark = " hypothetical" if data["hypothetical"] else ""
    dyad = (
        data["actor"]
        if data["actor"] == data["counterpart"]
        else (f"{data['actor']}->{data['counterpart']}")
    )
    if data["dimension"] is None:
        dimension, change = "(incident)", _said(data)
    else:
        dimension, change = data["dimension"], _change(data["before"], data["after"])
        if data["summary"]:
            change += f": {_clean(data['summary'])}"
    event = f"{data['type']} {data['event'][:8]}{mark}"
    return (data["on"], dyad, dimension, change, event, cites)


@click.command("retract")
@click.argument("event_id")
@click.option("--reason", required=True, help="Why the event is withdrawn.")
@click.option("--source", required=True, help="The source of the correction (a title).")
@click.option("--publisher", default="analyst", show_default=True, help="Who published the source.")
@click.option("--url", default=None, help="Where the source is.")
@click.option("--on", "on", default=None, help="Day of the correction [default: today].")
@click.pass_context
def retract_command(
    ctx: click.Context,
    event_id: str,
    reason: str,
    source: str,
    publisher: str,
    url: str | None,
    on: str | None,
) -> None:
    """Record that event EVENT_ID (or a unique prefix) is withdrawn; nothing is deleted."""
    from events import EventRetracted, Source

    from ..dates import day
    from ..ledger import validate

    when = day(on) if on else _today()
    with _store(ctx) as store:
        target_id = store.resolve(event_id)
        target = store.event(target_id)
        retraction: Any = EventRetracted(
            actor=target.actor,
            counterpart=target.counterpart,
            on=when,
            sources=(Source(title=source, publisher=publisher, date=_today(), url=url),),
            target=target_id,
            reason=reason,
        )
        try:
            retraction = validate(retraction)
        except ValueError as error:
            raise TrackerError(str(error)) from None
        report = store.append([retraction])
    if report.added:
        click.echo(f"retracted {target_id} (retraction {report.ids[0]})")
    else:
        click.echo(f"{target_id} was already retracted with these words")
