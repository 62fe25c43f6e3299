"""The `tracker` command: each command parses, calls one library function, prints a table/JSON."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import sys
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from .errors import TrackerError


def _seeds() -> Path:
    """The bundled seeds: beside the package in a checkout, under share/ in an installed wheel."""
    beside = Path(__file__).resolve().parent.parent / "seeds"
    installed = Path(sys.prefix) / "share" / "geo-state-tracker" / "seeds"
    return beside if beside.is_dir() or not installed.is_dir() else installed


SEEDS = _seeds()


class _Group(click.Group):
    """Turn user errors into one line on stderr and a non-zero exit: no tracebacks."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TrackerError as error:
            click.echo(f"error: {_one_line(str(error))}", err=True)
            ctx.exit(1)
        except sqlite3.DatabaseError as error:
            click.echo(
                f"error: {ctx.obj.get('db', 'database') if ctx.obj else 'database'}: {error}",
                err=True,
            )
            ctx.exit(1)
        except KeyboardInterrupt:
            click.echo("interrupted: nothing was written by the unfinished transaction", err=True)
            ctx.exit(130)


def _one_line(text: str) -> str:
    """`text` with line breaks and other unprintable characters escaped: a message is one line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _today() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()


@click.group(cls=_Group)
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


def seed_files() -> list[Path]:
    """The bundled ledgers that seed a new default database."""
    return sorted(p for p in SEEDS.glob("*") if p.suffix in (".toml", ".jsonl"))


@contextmanager
def _store(ctx: click.Context) -> Iterator[Any]:
    from .store import Store

    path = Path(ctx.obj["db"])
    fresh = not path.exists()
    if fresh and not path.parent.exists():
        raise TrackerError(f"{path}: folder {path.parent} does not exist")
    store = Store(path)
    try:
        if fresh and ctx.obj["seed"]:
            from .loading import load

            files = seed_files()
            if not files:
                raise TrackerError(f"no seed ledgers found in {SEEDS}")
            report = load(store, files)
            click.echo(f"created {path} from {SEEDS.name}/ ({report.added} events)", err=True)
        yield store
    except BaseException:
        empty = store.count() == 0
        store.close()
        if fresh and empty:  # a database this command created and left empty is not kept
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        raise
    store.close()


def _emit(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table; a cell holding several lines spans several lines."""
    text = [[("" if c is None else str(c)).split("\n") for c in row] for row in rows]
    widths = [
        max([len(h)] + [_width(part) for row in text for part in row[i]])
        for i, h in enumerate(headers)
    ]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in text:
        for k in range(max(len(cell) for cell in row)):
            parts = [cell[k] if k < len(cell) else "" for cell in row]
            padded = (p + " " * (w - _width(p)) for p, w in zip(parts, widths, strict=True))
            lines.append("  ".join(padded).rstrip())
    return "\n".join(lines)


def _width(text: str) -> int:
    """Columns a text takes on a terminal (combining marks, as in struck-out text, take none)."""
    return sum(not unicodedata.combining(c) for c in text)


def _strike(text: str) -> str:
    return "".join(c + "\u0336" for c in text)


def _change(before: Any, after: Any) -> str:
    """A change in words: `+x, -y` for sets, `old -> new` for single values."""
    if isinstance(before, (list, frozenset)) and isinstance(after, (list, frozenset)):
        added = [f"+{v}" for v in sorted(set(after) - set(before))]
        removed = [f"-{v}" for v in sorted(set(before) - set(after))]
        return ", ".join(added + removed)
    return f"{_show(before)} -> {_show(after)}"


def _show(value: Any, sep: str = ", ") -> str:
    if isinstance(value, (list, frozenset, set, tuple)):
        return sep.join(sorted(value)) if value else "(empty)"
    return str(value)


def _cite(source: dict[str, Any]) -> str:
    parts = [source.get("publisher", ""), f'"{source.get("title", "")}"', source.get("date", "")]
    parts += [source.get("locator", ""), source.get("url", "")]
    return ", ".join(p for p in parts if p)


def _sources_block(events: dict[str, dict[str, Any]], order: Sequence[str]) -> str:
    """Each event with its source numbers, then each distinct source once."""
    numbers: dict[str, int] = {}
    lines = ["events"]
    for event_id in order:
        info = events.get(event_id)
        if info is None:
            continue
        refs = []
        for source in info["sources"]:
            cite = _cite(source)
            numbers.setdefault(cite, len(numbers) + 1)
            refs.append(f"[{numbers[cite]}]")
        lines.append(f"  {event_id[:8]}  {info['type']} ({info['on']})  {' '.join(refs)}")
    lines.append("\nsources")
    lines += [f"  [{n}] {cite}" for cite, n in numbers.items()]
    return "\n".join(lines)


def _json_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(f)


def _known_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--known-at", default=None, help="Answer from what had been recorded by this day or time."
    )(f)


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


@main.command("scenario")
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

    from .dates import timestamp
    from .scenario import Scenario

    scenario = Scenario.from_file(path)
    if known_at is not None:
        scenario = attrs.evolve(scenario, known_at=timestamp(known_at))
    with _store(ctx) as store:
        result = scenario.run(store, on)
    if as_json:
        _emit(result.to_json())
        return
    click.echo(f"scenario: {result.name}")
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


@main.command("replay")
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
    from .dates import OPEN_END, OPEN_START, day, timestamp
    from .query import check_entity
    from .replay import change_json, replay

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
            from .scenario import Scenario

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
    cites = "; ".join(f"{s['publisher']}, {s['date']}" for s in data["sources"])
    mark = " hypothetical" if data["hypothetical"] else ""
    return (
        f"{data['on']:<22} {data['actor'] + '->' + data['counterpart']:<18} "
        f"{data['dimension']:<15} {_change(data['before'], data['after'])}  "
        f"[{data['type']} {data['event'][:8]}{mark}]  {cites}"
    )


@main.command("retract")
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

    from .dates import day
    from .ledger import validate

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


from .cli_extra import register  # noqa: E402

register(main)

from .cli_bench import register as register_bench  # noqa: E402

register_bench(main)
