"""What the `tracker` commands share: the default database and seeding, errors, tables, options."""

from __future__ import annotations

import datetime as dt
import functools
import json
import sqlite3
import sys
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from itertools import islice
from typing import Any, TypeVar

import click

from ..errors import TrackerError
from ..opening import SEEDS, seed_files

__all__ = ["SEEDS", "Group", "seed_files"]

T = TypeVar("T")


class Group(click.Group):
    """Turn user errors into one line on stderr and a non-zero exit: no tracebacks.

    Commands named in `lazy` (name -> "module:attribute") are imported only when used or
    listed, so a query does not pay for importing the plotting or benchmark commands.
    """

    def __init__(self, *args: Any, lazy: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.NoSuchOption as error:
            said = _misplaced(self, ctx, error, args)
            if not said:
                raise
            raise click.UsageError(said, ctx) from None

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            import importlib

            module, _, name = self.lazy[cmd_name].partition(":")
            command = getattr(importlib.import_module(module, __package__), name)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.NoSuchOption as error:
            given = error.option_name
            if ctx.parent is None and any(given in p.opts for p in self.params):
                command = ctx.invoked_subcommand or "COMMAND"
                raise click.UsageError(
                    f"{given} is an option of `tracker` itself: give it before the command, "
                    f"`tracker {given} ... {command} ...`",
                    error.ctx,
                ) from None
            raise
        except TrackerError as error:
            click.echo(f"error: {_one_line(str(error))}", err=True)
            ctx.exit(1)
        except sqlite3.DatabaseError as error:
            db = ctx.obj.get("db", "database") if ctx.obj else "database"
            reason = str(error)
            if reason == "database is locked":
                waited = ctx.obj.get("timeout", 60.0) if ctx.obj else 60.0
                reason = (
                    f"another process kept the database locked for {waited:g} s; nothing was "
                    "written: try again, or wait longer with --lock-timeout"
                )
            click.echo(f"error: {db}: {_one_line(reason)}", err=True)
            ctx.exit(1)
        except KeyboardInterrupt:
            click.echo("interrupted: nothing was written by the unfinished transaction", err=True)
            ctx.exit(130)
        except BrokenPipeError:  # the reader went away (`tracker export | head`): stop quietly
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(141)
        except OSError as error:  # the system refused a read or a write (a full disk, ...)
            where = error.filename or "standard output"
            click.echo(f"error: {where}: {_one_line(error.strerror or str(error))}", err=True)
            ctx.exit(1)


def _misplaced(
    group: click.Group, ctx: click.Context, error: click.NoSuchOption, args: list[str]
) -> str:
    """Say where an option given before its command goes (`tracker --on D state ...`)."""
    given = error.option_name.split("=")[0]
    names = [a for a in args if not a.startswith("-")]
    for name in names:
        command = group.get_command(ctx, name)
        if command is None:
            continue
        if isinstance(command, click.Group):
            names = [n for n in names if n != name]
            for sub in names:
                inner = command.get_command(ctx, sub)
                if inner is not None and any(given in p.opts for p in inner.params):
                    return _goes_after(given, f"{name} {sub}")
        if any(given in p.opts for p in command.params):
            return _goes_after(given, name)
        break
    return ""


def _goes_after(option: str, command: str) -> str:
    return (
        f"{option} is an option of `tracker {command}`: give it after the command, "
        f"`tracker {command} ... {option} ...`"
    )


def _one_line(text: str) -> str:
    """`text` with line breaks and other unprintable characters escaped: a message is one line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _today() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()


@contextmanager
def _store(ctx: click.Context, *, create: bool = True) -> Iterator[Any]:
    """The command's store, opened as tracker.open does (created and seeded when new, unless
    --no-seed); a store that holds nothing says how to fill it when a question fails."""
    from ..opening import open as open_store

    store = open_store(
        ctx.obj["db"], seed_new=ctx.obj["seed"], create=create, timeout=ctx.obj["timeout"]
    )
    try:
        if store.created:
            click.echo(f"created {store.path} from {store.created}", err=True)
        yield store
    except TrackerError as error:
        hinted = _with_hint(error, store, store.path, new=False)
        if hinted is error:
            raise
        raise hinted from None
    finally:
        store.close()


def _write(ctx: click.Context, job: Callable[[Any], T]) -> T:
    """Run `job`, a command that writes, on the command's store.

    A store that does not exist yet is made under a temporary name beside its path, and put
    in place only once `job` has succeeded: a first load refused for bad input leaves no file
    behind. Should another process create the store meanwhile, `job` runs again on that one.
    """
    from .. import storefile

    path = ctx.obj["db"]
    if storefile.inspect(path) == "missing":
        try:
            return _write_new(ctx, path, job)
        except _MadeMeanwhile:
            pass
    with _store(ctx) as store:
        return job(store)


class _MadeMeanwhile(Exception):
    """Another process created the store while this one built its own."""


def _write_new(ctx: click.Context, path: str, job: Callable[[Any], T]) -> T:
    """`job` on a new store built at a temporary path, then linked in at `path` (never over
    a file made there meanwhile: _MadeMeanwhile). The temporary files are removed either way."""
    import os

    from ..opening import open as open_store

    temp = _place_beside(path)
    try:
        store = open_store(temp, seed_new=ctx.obj["seed"], timeout=ctx.obj["timeout"])
        try:
            result = _hinted(store, path, job, new=True)
            created = store.created
        finally:
            store.close()
        if os.path.exists(f"{temp}-wal"):  # the last close folds the log into the file
            raise TrackerError(f"{path}: the new store could not be written whole; run it again")
        try:
            os.link(temp, path)
        except FileExistsError:
            raise _MadeMeanwhile from None
        except OSError:  # a file system without hard links: the same, but for a moment
            if os.path.lexists(path):
                raise _MadeMeanwhile from None
            os.replace(temp, path)
        if created:
            click.echo(f"created {path} from {created}", err=True)
        return result
    finally:
        for suffix in ("", "-wal", "-shm", "-journal"):
            with suppress(FileNotFoundError):
                os.remove(temp + suffix)


def _place_beside(path: str) -> str:
    """A new empty file beside `path`, named after it and this process, with the mode SQLite
    would give the store (0666 less the umask)."""
    import os

    folder, name = os.path.split(path)
    for attempt in range(1000):
        temp = os.path.join(folder, f".{name}.{os.getpid()}.{attempt}.new")
        try:
            os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue  # left by a process of the same id, killed
        except OSError as error:
            raise TrackerError(f"{path}: cannot create: {error.strerror or error}") from None
        return temp
    raise TrackerError(f"{path}: cannot create a temporary file beside it")


def _hinted(store: Any, path: str, job: Callable[[Any], T], *, new: bool) -> T:
    """`job(store)`, its errors as `_with_hint` words them."""
    try:
        return job(store)
    except TrackerError as error:
        hinted = _with_hint(error, store, path, new=new)
        if hinted is error:
            raise
        raise hinted from None


def _with_hint(error: TrackerError, store: Any, path: str, *, new: bool) -> TrackerError:
    """`error`, or for an unknown entity in a store that holds nothing, `error` saying how to
    fill the store."""
    from ..opening import empty_hint

    hint = empty_hint(store, path, new=new) if "unknown entity" in str(error) else ""
    return TrackerError(f"{error}; {hint}") if hint else error


def _n(count: int, noun: str) -> str:
    """`1 event`, `2 events`: a count with its noun, singular or plural."""
    if count == 1:
        return f"1 {noun}"
    return f"{count} {noun[:-1] + 'ies' if noun.endswith('y') else noun + 's'}"


def _emit(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _emit_stream(items: Iterable[Any]) -> None:
    """Print a JSON list as its items come: the same text as `_emit(list(items))`."""
    first = True
    for item in items:
        text = json.dumps(item, indent=2, ensure_ascii=False).replace("\n", "\n  ")
        click.echo(("[\n  " if first else ",\n  ") + text, nl=False)
        first = False
    click.echo("[]" if first else "\n]")


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table; a cell holding several lines spans several lines. Characters that
    are not printable are escaped: a cell cannot move the cursor or hide a line."""
    text = _cells(rows)
    widths = _widths(headers, text)
    return "\n".join(_table_lines(headers, widths, text, head=True))


def _cells(rows: Iterable[Sequence[Any]]) -> list[list[list[str]]]:
    return [
        [[_clean(p) for p in ("" if c is None else str(c)).split("\n")] for c in r] for r in rows
    ]


def _widths(headers: Sequence[str], text: list[list[list[str]]]) -> list[int]:
    return [
        max([len(h)] + [_width(part) for row in text for part in row[i]])
        for i, h in enumerate(headers)
    ]


def _table_lines(
    headers: Sequence[str], widths: Sequence[int], text: list[list[list[str]]], head: bool
) -> Iterator[str]:
    if head:
        yield "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()
        yield "  ".join("-" * w for w in widths)
    for row in text:
        for k in range(max(len(cell) for cell in row)):
            parts = [cell[k] if k < len(cell) else "" for cell in row]
            padded = (p + " " * (w - _width(p)) for p, w in zip(parts, widths, strict=True))
            yield "  ".join(padded).rstrip()


def _stream_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], sample: int = 1000) -> int:
    """Print a table as its rows come, in the memory of `sample` rows: the columns are as wide
    as the first `sample` rows need (the whole table, when it has no more), and a later,
    wider cell widens only its own line. Returns the rows printed."""
    iterator = iter(rows)
    first = _cells(islice(iterator, sample))
    if not first:
        return 0
    widths = _widths(headers, first)
    for line in _table_lines(headers, widths, first, head=True):
        click.echo(line)
    count = len(first)
    for row in iterator:
        for line in _table_lines(headers, widths, _cells([row]), head=False):
            click.echo(line)
        count += 1
    return count


def _clean(text: str) -> str:
    """`text` as safe to print: every character that is not printable (controls, escapes,
    line breaks, bidirectional overrides, zero-width marks) is shown escaped, as Python does."""
    return _one_line(text)


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
    return _clean(", ".join(str(p) for p in parts if p))


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


FORMATS = {
    "json": "Print JSON instead of a table.",
    "nl": "Print the rows as JSON, one object a line.",
    "csv": "Print the rows as CSV.",
    "tsv": "Print the rows as tab-separated values.",
}


def _formats(f: Callable[..., Any]) -> Callable[..., Any]:
    """--json, --nl, --csv and --tsv, as sqlite-utils offers them (`fmt`: table by default);
    two at once are refused, since which one was meant is unknown."""

    @functools.wraps(f)
    def command(*args: Any, **kwargs: Any) -> Any:
        given = [name for name in FORMATS if kwargs.pop(f"fmt_{name}")]
        if len(given) > 1:
            raise click.UsageError(f"give one output format, not --{given[0]} and --{given[1]}")
        return f(*args, fmt=given[0] if given else "table", **kwargs)

    for name in reversed(FORMATS):
        command = click.option(f"--{name}", f"fmt_{name}", is_flag=True, help=FORMATS[name])(
            command
        )
    return command


def _emit_rows(table: Any, fmt: str) -> int:
    """Print a table of rows (frames.Table) as JSON Lines, CSV or TSV, as they come; return
    how many were printed."""
    import csv

    from ..frames import cell

    count = 0
    if fmt == "nl":
        for row in table.rows:
            click.echo(json.dumps(row, ensure_ascii=False))
            count += 1
        return count
    writer = csv.writer(sys.stdout, delimiter="\t" if fmt == "tsv" else ",", lineterminator="\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow(cell(row.get(c), c in table.choices) for c in table.columns)
        count += 1
    return count


def _notes(result: Any, fmt: str) -> None:
    """Warnings on stderr; the names resolved to ids on stdout before a table (on stderr for
    rows, which stay data alone; JSON carries both)."""
    for warning in getattr(result, "warnings", ()):
        click.echo(f"warning: {_clean(warning)}", err=True)
    _resolved_note(getattr(result, "resolved", None) or {}, fmt)


def _resolved_note(resolved: dict[str, str], fmt: str) -> None:
    """Show which id each name given stands for (`resolved: Taliban -> TALIBAN`)."""
    if resolved and fmt != "json":
        said = ", ".join(f"{_clean(name)} -> {entity}" for name, entity in resolved.items())
        click.echo(f"resolved: {said}", err=fmt != "table")


def _known_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--known-at", default=None, help="Answer from what had been recorded by this day or time."
    )(f)
