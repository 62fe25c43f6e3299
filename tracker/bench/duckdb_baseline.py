"""The DuckDB baselines of `tracker bench`: the same events, in memory, asked the same questions.

DuckDB (the optional `[bench]` extra) is imported only when a run reaches this step.
"""

from __future__ import annotations

import csv
import json
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .timing import WORLD_DAYS, time_each, us

_ENVELOPE = {"type", "actor", "counterpart", "on", "sources", "recorded", "note", "corrects"}


def _effect_rows(store: Any, path: Path) -> int:
    """Write each event's effect on each dyad it moves as CSV rows; return the rows written.

    Effects come from the engine's own reducers (`effects`, `mirror_effects`), cached per type
    and field value. The synthetic log has no retractions, so every event stands.
    """
    from events import from_dict

    from ..reducers import effects, mirror_effects

    cache: dict[tuple[Any, ...], tuple[Any, Any]] = {}
    written = 0
    rows = store.conn.execute(
        "SELECT seq, actor, counterpart, earliest, latest, body FROM events ORDER BY seq"
    )
    with open(path, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(
            ("seq", "actor", "counterpart", "dimension", "member", "value", "earliest", "latest")
        )
        for seq, actor, counterpart, earliest, latest, body in rows:
            data = json.loads(body)
            key = (data["type"], *sorted((k, v) for k, v in data.items() if k not in _ENVELOPE))
            if key not in cache:
                event = from_dict(data)
                cache[key] = (effects(event), mirror_effects(event))
            forward, mirror = cache[key]
            for dyad, steps in (((actor, counterpart), forward), ((counterpart, actor), mirror)):
                for dimension, op, operand in steps:
                    member, value = ("", operand) if op == "set" else (operand, op)
                    out.writerow((seq, *dyad, dimension, member, value, earliest, latest))
                    written += 1
    return written


def _duckdb_connect(store: Any, workdir: Path) -> tuple[Any, dict[str, Any]]:
    """An in-memory DuckDB holding the log's events, one row per (event, dyad, effect)."""
    import duckdb  # optional: the [bench] extra

    started = time.perf_counter()
    path = workdir / "effects.csv"
    rows = _effect_rows(store, path)
    con = duckdb.connect(":memory:")
    con.execute("SET enable_progress_bar = false")  # keep the terminal for our own output
    con.execute(
        "CREATE TABLE events AS SELECT seq, actor, counterpart, dimension, "
        "coalesce(member, '') AS member, value, earliest, latest, "  # CSV reads '' as NULL
        "row_number() OVER (ORDER BY earliest, latest, seq) AS ord FROM read_csv(?, "
        "header = true, columns = {'seq': 'BIGINT', 'actor': 'VARCHAR', 'counterpart': 'VARCHAR', "
        "'dimension': 'VARCHAR', 'member': 'VARCHAR', "
        "'value': 'VARCHAR', 'earliest': 'DATE', 'latest': 'DATE'}) ORDER BY seq",
        [str(path)],
    )
    con.execute(
        "PREPARE point_arg_max AS SELECT dimension, member, arg_max(value, ord) FROM events "
        "WHERE actor = $1 AND counterpart = $2 AND latest <= $3 GROUP BY dimension, member"
    )
    con.execute(
        "PREPARE point_asof AS SELECT k.dimension, k.member, e.value FROM "
        "(SELECT DISTINCT dimension, member, CAST($3 AS DATE) AS day FROM events "
        "WHERE actor = $1 AND counterpart = $2) k ASOF JOIN "
        "(SELECT dimension, member, latest, value FROM events "
        "WHERE actor = $1 AND counterpart = $2) e "
        "ON k.dimension = e.dimension AND k.member = e.member AND k.day >= e.latest"
    )
    con.execute(
        "PREPARE world_arg_max AS SELECT actor, counterpart, dimension, member, "
        "arg_max(value, ord) AS value FROM events WHERE latest <= $1 "
        "GROUP BY actor, counterpart, dimension, member "
        "HAVING member = '' OR arg_max(value, ord) = 'add'"
    )
    info = {
        "version": duckdb.__version__,
        "rows": rows,
        "load_seconds": round(time.perf_counter() - started, 2),
    }
    return con, info


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _duckdb_point(con: Any, statement: str) -> Callable[[str, str, str], object]:
    def call(actor: str, counterpart: str, day: str) -> object:
        args = f"{_literal(actor)}, {_literal(counterpart)}, DATE {_literal(day)}"
        return con.execute(f"EXECUTE {statement}({args})").fetchall()

    return call


def _duckdb_world(con: Any, day: str) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = con.execute(
        f"EXECUTE world_arg_max(DATE {_literal(day)})"
    ).fetchall()
    return rows


def _settled(world: dict[tuple[str, str], dict[str, Any]]) -> dict[tuple[str, str, str], Any]:
    from ..reducers import default

    return {
        (*dyad, name): ans.value
        for dyad, answers in world.items()
        for name, ans in answers.items()
        if ans.value != default(name)
    }


def _duckdb_settled(rows: Sequence[tuple[Any, ...]]) -> dict[tuple[str, str, str], Any]:
    found: dict[tuple[str, str, str], Any] = {}
    sets: dict[tuple[str, str, str], set[str]] = {}
    for actor, counterpart, dimension, member, value in rows:
        if member:
            sets.setdefault((actor, counterpart, dimension), set()).add(member)
        elif value != "none":
            found[(actor, counterpart, dimension)] = value
    found.update((key, frozenset(members)) for key, members in sets.items())
    return found


def baselines(
    store: Any,
    work: Path,
    sets: dict[str, list[tuple[str, str, str]]],
    point: dict[str, Any],
    world: dict[str, Any],
    last: dict[tuple[str, str], Any],
    say: Callable[[str], None],
) -> dict[str, Any]:
    """Fill the DuckDB figures of `point` and `world`; return what DuckDB was and cost."""
    try:
        import duckdb  # noqa: F401
    except ImportError:
        say("duckdb not installed: DuckDB baselines skipped (pip install -e '.[bench]')")
        return {"version": None, "error": "duckdb not installed"}
    say("DuckDB: loading the same events")
    con, info = _duckdb_connect(store, work)
    say("DuckDB: point queries (arg_max, ASOF JOIN) and every dyad at a date")
    for name, pairs in sets.items():
        for statement in ("arg_max", "asof"):
            call = _duckdb_point(con, f"point_{statement}")
            point[name][f"duckdb_{statement}"] = us(time_each(call, pairs))
    _duckdb_world(con, WORLD_DAYS[0])
    spent, rows = [], []
    for day in WORLD_DAYS:
        started = time.perf_counter()
        rows = _duckdb_world(con, day)
        spent.append((time.perf_counter() - started) * 1000)
    world["duckdb_arg_max_ms"] = round(statistics.median(spent), 1)
    world["duckdb_agrees"] = _settled(last) == _duckdb_settled(rows)
    con.close()
    (work / "effects.csv").unlink(missing_ok=True)
    return info
