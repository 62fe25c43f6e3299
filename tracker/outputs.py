"""Output files: checked before any work, written atomically.

`check` refuses, before anything is computed, a path that could not be written or must not
be: a missing folder, a folder that is not writable, a folder or device in the file's place,
the store's own database (or the files SQLite keeps beside it), or the same file twice.
`written` gives temporary files in the same folders and renames them into place only once
all were written: a failure leaves no partial file, and of a pair either both or neither.

    with written(["plot.png", "plot.csv"], database="tracker.db") as (picture, data):
        draw(picture)        # temporary paths with the same extensions
        write_csv(data)
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

from .errors import TrackerError
from .storefile import companions, describe

STDOUT = "-"


def check(path: str | Path, *, database: str | Path | None = None) -> Path:
    """Refuse an output path that cannot or must not be written; return it as a Path."""
    target = Path(path)
    name = str(path)
    if name in ("", STDOUT):
        raise TrackerError(f"{name or 'an empty path'} is not a file name")
    folder = target.parent
    if not folder.is_dir():
        raise TrackerError(f"{name}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise TrackerError(f"{name}: folder {folder} is not writable")
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as error:
        raise TrackerError(f"{name}: {error.strerror or error}") from None
    if mode is not None and not stat.S_ISREG(mode):
        hint = " (use -o - for standard output)" if not stat.S_ISDIR(mode) else ""
        raise TrackerError(f"{name}: {describe(mode)}, not a file to write{hint}")
    if mode is not None and not os.access(target, os.W_OK):
        raise TrackerError(f"{name}: not writable")
    if database is not None and _same(target, database):
        raise TrackerError(f"{name}: that is the database itself; write elsewhere")
    return target


def _same(target: Path, database: str | Path) -> bool:
    """Whether `target` is the database file or one SQLite keeps beside it."""
    resolved = os.path.realpath(target)
    for companion in companions(database):
        if resolved == os.path.realpath(companion):
            return True
        with contextlib.suppress(OSError):
            if os.path.samefile(target, companion):
                return True
    return False


@contextlib.contextmanager
def written(
    paths: Sequence[str | Path], *, database: str | Path | None = None
) -> Iterator[tuple[Path, ...]]:
    """Temporary paths (same folder, same extension) for each of `paths`, renamed into place
    together once the block ends without error; removed if it fails."""
    targets = [check(p, database=database) for p in paths]
    if len({os.path.realpath(t) for t in targets}) < len(targets):
        raise TrackerError(f"{targets[0]}: the same file is named twice")
    temporary: list[Path] = []
    try:
        for target in targets:
            fd, name = tempfile.mkstemp(
                dir=target.parent, prefix=f".{target.name}.", suffix=f".partial{target.suffix}"
            )
            os.close(fd)
            temporary.append(Path(name))
        yield tuple(temporary)
        for made, target in zip(temporary, targets, strict=True):
            _settle(made, target)
        for made, target in zip(temporary, targets, strict=True):
            os.replace(made, target)
    except OSError as error:
        raise TrackerError(
            f"{error.filename or targets[0]}: cannot write: {error.strerror or error}"
        ) from None
    finally:
        for made in temporary:
            with contextlib.suppress(FileNotFoundError):
                made.unlink()  # a temporary file this process made alone


def _settle(made: Path, target: Path) -> None:
    """Flush a written file to disk and give it the mode the target has, or a new file would."""
    with open(made, "rb+") as handle:
        os.fsync(handle.fileno())
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(made, mode)


@contextlib.contextmanager
def text_file(path: str | Path, *, database: str | Path | None = None) -> Iterator[IO[str]]:
    """A text file (UTF-8) written atomically; `-` writes to standard output instead."""
    if str(path) == STDOUT:
        import sys

        yield sys.stdout
        return
    with written([path], database=database) as (made,), open(made, "w", encoding="utf-8") as handle:
        yield handle
