"""The commands about time: `scenario`, `replay` and `retract`, loaded by `tracker` on first use."""

from __future__ import annotations

import json
from typing import Any

import click

from ..errors import TrackerError
from .common import (
    _change,
    _clean,
    _emit,
    _json_option,
    _known_option,
    _show,
    _store,
    _table,
    _today,
)


@click.command("scenario")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--on", "on", multiple=True, help="A day to compare, YYYY-MM-DD (repeatable).")
@_known_option
@_json_option
@click.pass_context
def scenario_command(
    ctx: click.Context, path: str, on: tuple[str, ...], known_at: str | None, as_json: bool
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
    if as_json:
        _emit(result.to_json())
        return
    click.echo(f"scenario: {_clean(result.name)}")
    if result.known_at:
        click.echo(f"base log as known at {result.known_at}")
    touched = ", ".join(f"{a}->{c}" for a, c in result.touched)
    click.echo(
        f"touches {len(result.touched)} dyad{'' if len(result.touched) == 1 else 's'}: {touched}"
    )
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
@click.option("--json", "as_json", is_flag=True, help="Print JSON Lines, one change a line.")
@click.pass_context
def replay_command(
    ctx: click.Context,
    dyad: tuple[str, ...],
    counterpart: str | None,
    start: str | None,
    end: str | None,
    scenario_path: str | None,
    known_at: str | None,
    as_json: bool,
) -> None:
    """Stream every change of state in order: for ACTOR COUNTERPART, a counterpart, or the world."""
    from ..dates import OPEN_END, OPEN_START, day, timestamp
    from ..query import check_entity
    from ..replay import change_json, replay

    if len(dyad) not in (0, 2):
        raise TrackerError("give ACTOR COUNTERPART, or neither (use --counterpart for one side)")
    if dyad and counterpart:
        raise TrackerError("give ACTOR COUNTERPART or --counterpart, not both")
    actor, toward = (dyad[0], dyad[1]) if dyad else (None, counterpart)
    with _store(ctx) as store:
        for entity in (actor, toward):
            if entity is not None:
                check_entity(store, entity)
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
        )
        count = 0
        for change in changes:
            count += 1
            if as_json:
                click.echo(json.dumps(change_json(change), ensure_ascii=False))
                continue
            click.echo(_change_line(change_json(change)))
        if not as_json and count == 0:
            click.echo("(no changes)")


def _change_line(data: dict[str, Any]) -> str:
    cites = _clean("; ".join(f"{s['publisher']}, {s['date']}" for s in data["sources"]))
    mark = " hypothetical" if data["hypothetical"] else ""
    dyad = (
        data["actor"]
        if data["actor"] == data["counterpart"]
        else (f"{data['actor']}->{data['counterpart']}")
    )
    return (
        f"{data['on']:<22} {dyad:<18} "
        f"{data['dimension']:<15} {_change(data['before'], data['after'])}  "
        f"[{data['type']} {data['event'][:8]}{mark}]  {cites}"
    )


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
