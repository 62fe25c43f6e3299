"""What opening a store costs a process: creating one does not import pandas or numpy (which
sqlite-utils, the schema's tool, imports whenever they are installed), and leaves them
importable; a process that imported them first keeps them for sqlite-utils too. Questions read
through a memory map; loads and rebuilds run without one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tracker.errors import TrackerError
from tracker.store import READ_MMAP_BYTES, Store

from .test_load_fast import granted


def _run(code: str, db: Path) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", code, str(db)], capture_output=True, text=True, check=True
    )
    return done.stdout.split()


def test_a_new_store_does_not_import_pandas_or_numpy(tmp_path: Path) -> None:
    code = (
        "import sys; from tracker.store import Store; Store(sys.argv[1]).close(); "
        "print('pandas' in sys.modules, 'numpy' in sys.modules); "
        "import pandas, sqlite_utils.db as d; print(pandas.DataFrame is not None, d.pd is None)"
    )
    assert _run(code, tmp_path / "new.db") == ["False", "False", "True", "True"]


def test_a_process_that_imported_pandas_keeps_it_for_sqlite_utils(tmp_path: Path) -> None:
    code = (
        "import sys, pandas; from tracker.store import Store; Store(sys.argv[1]).close(); "
        "import sqlite_utils.db as d; print(d.pd is pandas, d.np is not None)"
    )
    assert _run(code, tmp_path / "new.db") == ["True", "True"]


def _mapped(store: Store) -> int:
    return int(store.conn.execute("PRAGMA mmap_size").fetchone()[0])


def test_questions_read_through_a_map_and_loads_and_rebuilds_without(store: Store) -> None:
    """A load's or a rebuild's reads are not counted in the memory of a map (their own cache
    holds what they read); the map is back once they are done, and after a refused load."""
    assert _mapped(store) == READ_MMAP_BYTES
    during: list[int] = []
    log = [granted(actor, f"{1800 + year}") for actor in ("RUS", "CHN") for year in range(600)]
    store.append(log, progress=lambda _: during.append(_mapped(store)))
    assert _mapped(store) == READ_MMAP_BYTES
    store.rebuild(progress=lambda _: during.append(_mapped(store)))
    assert _mapped(store) == READ_MMAP_BYTES
    with pytest.raises(TrackerError):
        store.append([granted("NARNIA", "2021")])
    assert _mapped(store) == READ_MMAP_BYTES
    assert len(during) >= 2 and set(during) == {0}
