"""Reading published files as they are, and no more than that: bounded, strict, located.

A published file is a regular file with one of the format's extensions, plain or zipped (a
zip is read member by member, only the members with the format's extensions). It is read as
a stream, a line at a time, with caps on a line's length and on the bytes read from a file,
so a small zip that unpacks to one huge line is refused at the cap, never held whole. Every
line must be UTF-8 without NUL characters; every problem names the file (and the member of
a zip), the line and the reason. Numbers and dates are ASCII digits only.
"""

from __future__ import annotations

import csv
import os
import re
import stat
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from ..errors import LedgerError
from ..ledger import MAX_TEXT

CHUNK = 1 << 16  # bytes read at a time
MAX_TOTAL = 2 << 30  # bytes read (unpacked) from one file or zip member
_INTEGER = re.compile(r"-?[0-9]{1,15}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

Lines = Iterator[tuple[int, str]]
"""A file's lines: (line number, text without its line break)."""


def members(path: Path, suffixes: tuple[str, ...], max_line: int) -> Iterator[tuple[str, Lines]]:
    """(name, lines) of a plain file, or of each member of a zip with one of `suffixes`.

    `suffixes` are lowercase (".csv"); ".zip" is always accepted. A zip is recognised by its
    content, whatever its name.
    """
    name = str(path)
    try:
        info = os.stat(path)
    except OSError as error:
        raise LedgerError(name, None, f"cannot read: {error.strerror or error}") from None
    if not stat.S_ISREG(info.st_mode):
        raise LedgerError(name, None, "not a regular file")
    lower = path.name.lower()
    if not lower.endswith((*suffixes, ".zip")):
        wanted = ", ".join((*suffixes, ".zip"))
        raise LedgerError(name, None, f"not a file of this format (expected {wanted})")
    try:
        zipped = zipfile.is_zipfile(path)
    except OSError as error:
        raise LedgerError(name, None, f"cannot read: {error.strerror or error}") from None
    if not zipped:
        if lower.endswith(".zip"):
            raise LedgerError(name, None, "not a zip file")
        yield name, _opened(name, path, max_line)
        return
    yield from _zipped(name, path, suffixes, max_line)


def _opened(name: str, path: Path, max_line: int) -> Lines:
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below; errors are reported as ours
    except OSError as error:
        raise LedgerError(name, None, f"cannot read: {error.strerror or error}") from None
    with handle:
        yield from lines(name, handle, max_line)


def _zipped(
    name: str, path: Path, suffixes: tuple[str, ...], max_line: int
) -> Iterator[tuple[str, Lines]]:
    try:
        with zipfile.ZipFile(path) as archive:
            found = [
                m
                for m in archive.infolist()
                if not m.is_dir() and m.filename.lower().endswith(suffixes)
            ]
            if not found:
                raise LedgerError(name, None, f"no {' or '.join(suffixes)} file in the zip")
            for member in found:
                where = f"{name}:{member.filename}"
                with archive.open(member) as raw:
                    yield where, lines(where, raw, max_line)
    except zipfile.BadZipFile as error:
        raise LedgerError(name, None, f"bad zip file: {error}") from None
    except (OSError, EOFError, RuntimeError, NotImplementedError) as error:
        raise LedgerError(name, None, f"cannot read the zip: {error}") from None


def lines(name: str, raw: IO[bytes], max_line: int) -> Lines:
    """The lines of a binary stream, decoded strictly, each at most `max_line` bytes."""
    number, total, pending = 0, 0, b""
    while True:
        chunk = _read(name, number, raw)
        if not chunk:
            break
        total += len(chunk)
        if total > MAX_TOTAL:
            raise LedgerError(name, number + 1, f"more than {MAX_TOTAL} bytes: not read further")
        *complete, pending = (pending + chunk).split(b"\n")
        for part in complete:
            number += 1
            yield number, _decoded(name, number, part, max_line)
        if len(pending) > max_line:
            raise LedgerError(name, number + 1, f"line longer than {max_line} bytes")
    if pending:
        yield number + 1, _decoded(name, number + 1, pending, max_line)


def _read(name: str, number: int, raw: IO[bytes]) -> bytes:
    """The next chunk of a stream; a damaged file or zip member is a LedgerError."""
    try:
        return raw.read(CHUNK)
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        raise LedgerError(name, number + 1, f"cannot read further: {error}") from None


def _decoded(name: str, number: int, data: bytes, max_line: int) -> str:
    if len(data) > max_line:
        raise LedgerError(name, number, f"line longer than {max_line} bytes")
    if number == 1:
        data = data.removeprefix(b"\xef\xbb\xbf")  # a byte-order mark is not content
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise LedgerError(name, number, "not UTF-8 text") from None
    if "\x00" in text:
        raise LedgerError(name, number, "NUL character")
    return text.removesuffix("\r")


def integer(name: str, line: int, column: str, text: str) -> int:
    """A whole number written in ASCII digits (an optional minus sign), or a LedgerError."""
    cleaned = text.strip(" ")
    if not _INTEGER.fullmatch(cleaned):
        raise LedgerError(name, line, f"{column} {text!r} is not a whole number (ASCII digits)")
    return int(cleaned)


def field(name: str, line: int, column: str, text: str, limit: int = MAX_TEXT) -> str:
    """A text field kept in an event: no control characters, at most `limit` characters (the
    ledgers' own limit, or less for a field that goes into a longer text)."""
    if _CONTROL.search(text):
        raise LedgerError(name, line, f"{column} holds a control character")
    if len(text) > limit:
        raise LedgerError(name, line, f"{column} is longer than {limit} characters")
    return text


def shown(code: str) -> str:
    """A code as a report prints it: unprintable characters escaped."""
    if code.isprintable():
        return code
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in code)


Row = tuple[str, int, list[str]]
"""A CSV row: the file (and zip member) name, its line and its cells."""


def csv_rows(path: Path, header: tuple[str, ...], what: str, max_line: int) -> Iterator[Row]:
    """The rows of a published CSV (plain or zipped) whose first line is `header`.

    The header may be quoted and in any case; empty cells after the last column (a
    spreadsheet's saving) are dropped from it and from every row. Blank lines are skipped.
    """
    for name, found in members(path, (".csv",), max_line):
        started = False
        for line, text in found:
            if not text.strip():
                continue
            cells = _cells(name, line, text)
            while len(cells) > len(header) and not cells[-1].strip():
                cells.pop()
            if not started:
                if [c.strip().lower() for c in cells] != [h.lower() for h in header]:
                    expected = ",".join(header)
                    raise LedgerError(name, line, f"not {what}: expected columns {expected}")
                started = True
                continue
            if len(cells) != len(header):
                raise LedgerError(name, line, f"expected {len(header)} columns, found {len(cells)}")
            yield name, line, cells
        if not started:
            raise LedgerError(name, None, f"empty: not {what}")


def _cells(name: str, line: int, text: str) -> list[str]:
    try:
        return next(csv.reader([text], strict=True))
    except csv.Error as error:
        raise LedgerError(name, line, f"not a CSV row: {error}") from None
