"""Browse the store in Datasette, read-only, with table descriptions and canned queries.

Datasette opens the file as a mutable database, which it reads through `?mode=ro`
connections only: every query is a SELECT on a read-only connection, and no canned query
writes. (Immutable mode is not used: it ignores the write-ahead log, so it could miss or
misread events committed by a `tracker` process still holding the file.) Datasette is an
optional extra, imported only by `serve`.
"""

from __future__ import annotations

import importlib
import json
import sqlite3
import tempfile
import types
from pathlib import Path
from typing import Any

from .errors import TrackerError

_STATE = """
SELECT dimension, json_extract(value, '$') AS value, since, uncertain, possible, events,
       valid_from, valid_to
FROM intervals
WHERE actor = :actor AND counterpart = :counterpart
  AND valid_from <= :on AND (valid_to IS NULL OR valid_to > :on)
ORDER BY dimension
""".strip()

_WHO = """
WITH current AS (
  SELECT actor, value, since, possible, events,
    (SELECT count(*) FROM json_each(intervals.possible) AS p
      WHERE CASE WHEN p.type = 'array'
        THEN EXISTS (SELECT 1 FROM json_each(p.value) AS v WHERE v.value = :value)
        ELSE p.value = :value END) AS matching,
    json_array_length(possible) AS total
  FROM intervals
  WHERE counterpart = :counterpart AND dimension = :dimension
    AND valid_from <= :on AND (valid_to IS NULL OR valid_to > :on)
)
SELECT actor, CASE WHEN matching = total THEN 'settled' ELSE 'uncertain' END AS "match",
       json_extract(value, '$') AS value, since, possible, events
FROM current
WHERE matching > 0
ORDER BY "match", actor
""".strip()

_HISTORY = """
SELECT e.valid_time AS "on", e.type, e.actor, e.counterpart, e.id, e.recorded,
       json_extract(e.body, '$.sources[0].publisher') AS publisher,
       json_extract(e.body, '$.sources[0].url') AS url,
       json_extract(e.body, '$.note') AS note, e.body
FROM dyad_events AS d JOIN events AS e ON e.seq = d.seq
WHERE d.actor = :actor AND d.counterpart = :counterpart
ORDER BY e.earliest, e.latest, e.seq
""".strip()

QUERIES: dict[str, dict[str, Any]] = {
    "state": {
        "title": "State of a dyad on a day",
        "description": (
            "Every dimension of actor -> counterpart in force on the day `on` (YYYY-MM-DD). "
            "Dimensions not listed are at their initial value (none, or the empty set). "
            "`uncertain` is 1 when an event dated by a window could still change the value."
        ),
        "sql": _STATE,
    },
    "who": {
        "title": "Who matches a dimension on a day",
        "description": (
            "The actors whose dimension toward the counterpart is (or, for sets, contains) "
            "`value` on the day `on`: settled when every possible value matches, uncertain "
            "when only some do. Asking for an initial value (none) lists only dyads that "
            "returned to it; use `tracker who` for those."
        ),
        "sql": _WHO,
    },
    "history": {
        "title": "History of a dyad",
        "description": (
            "Every event that touches actor -> counterpart, in replay order (earliest day, "
            "latest day, sequence number), retractions included."
        ),
        "sql": _HISTORY,
    },
}

TABLES: dict[str, dict[str, Any]] = {
    "events": {
        "description": (
            "The append-only log: one row per event, never updated or deleted (triggers "
            "refuse it); each row's hash chains it to the row before."
        ),
        "columns": {
            "seq": "Position in the log, gapless, assigned at append.",
            "id": "Content hash of the event: the same content always has the same id.",
            "type": "Event type, in the past tense (recognition_granted, envoy_sent, ...).",
            "actor": "Entity id of the actor (ISO 3166 alpha-3 for states, or declared).",
            "counterpart": "Entity id the event is directed at.",
            "valid_time": "When it happened, as precise as the sources: day, month, year, "
            "or an interval such as 1990/1995 or ../2025-07-04.",
            "earliest": "First day of the valid-time window.",
            "latest": "Last day of the valid-time window.",
            "recorded": "Transaction time: when the tracker learned the event (UTC).",
            "operand": "The event's own value its rules apply: a level, list, measure, area "
            "or stance (empty for types without one).",
            "withdraws": "Id of the event this one retracts or replaces (empty otherwise).",
            "body": "The event as stored (JSON): sources, note and the type's own fields.",
            "hash": "SHA-256 over this row and the previous row's hash.",
        },
    },
    "entity_log": {
        "description": (
            "Every declaration of an entity, in order, never updated or deleted; a later one "
            "that changes an entity (revise = true) stands beside the old one. Hash-chained."
        ),
        "columns": {
            "seq": "Position in the log, gapless.",
            "id": "Entity id.",
            "name": "Name, as declared.",
            "kind": "state, government, organization or group.",
            "aliases": "Other names (JSON list).",
            "recorded": "When the tracker learned the declaration (UTC).",
            "hash": "SHA-256 over this row and the previous row's hash.",
        },
    },
    "entities": {
        "description": "Declared entities that are not ISO states (governments, groups, "
        "organizations), each as last declared in entity_log.",
        "columns": {
            "id": "Entity id, as events name it.",
            "name": "Name.",
            "kind": "state, government, organization or group.",
            "aliases": "Other names (JSON list).",
        },
    },
    "intervals": {
        "description": (
            "Derived from events (rebuildable): each dimension of each dyad over valid "
            "time, as non-overlapping intervals [valid_from, valid_to)."
        ),
        "columns": {
            "actor": "Entity id of the actor.",
            "counterpart": "Entity id of the counterpart.",
            "dimension": "recognition, relations, envoy_sent, envoy_received, designations, "
            "sanctions, military, membership, control, cooperation or stance.",
            "valid_from": "First day of the interval.",
            "valid_to": "Day after the interval (empty: still in force).",
            "value": "The settled value (JSON: a text, or a list for set dimensions).",
            "since": "Valid time of the event that set the value.",
            "uncertain": "1 when an event dated by a window could change the value.",
            "possible": "The values the dimension could have (JSON list).",
            "events": "Ids of the events behind the value (JSON list).",
            "machine": "1 when every event behind the value was machine-coded (GDELT).",
        },
    },
    "dyad_events": {
        "description": (
            "Derived: which events touch which directed dyad, with the columns of events that "
            "folds read (so a dyad's events are one range of this table)."
        ),
        "columns": {
            "actor": "Entity id of the actor of the dyad the event touches.",
            "counterpart": "Entity id of the counterpart of the dyad the event touches.",
            "seq": "The event's seq in events.",
            "type": "The event's type.",
            "id": "The event's id.",
            "event_actor": "The event's own actor (differs from actor on a mirror dyad).",
            "event_counterpart": "The event's own counterpart.",
            "valid_time": "When it happened (a day, month, year or window).",
            "earliest": "First day the valid time allows.",
            "latest": "Last day the valid time allows.",
            "recorded": "When the event was recorded (transaction time).",
            "operand": "The value the event carries, if any.",
            "withdraws": "Id of the event it retracts or corrects, if any.",
            "machine": "1 when the event was machine-coded.",
        },
    },
    "meta": {"description": "Store settings (schema version).", "hidden": True},
}


def metadata(database: str) -> dict[str, Any]:
    """Datasette metadata for a store opened under the name `database`."""
    return {
        "title": "Geopolitical state tracker",
        "description": (
            "Sourced events and the state of each directed dyad over time, read-only. "
            "See the canned queries: state, who, history."
        ),
        "databases": {
            database: {
                "description": "An event-sourced tracker store.",
                "tables": TABLES,
                "queries": QUERIES,
            }
        },
    }


# Bounds on one query, set on every connection Datasette opens (its own time limit stays, 1 s).
LIMITS = {
    "SQLITE_LIMIT_LENGTH": 1_000_000,  # bytes in one value: randomblob(1e9) fails at once
    "SQLITE_LIMIT_SQL_LENGTH": 100_000,  # characters of SQL text
    "SQLITE_LIMIT_COLUMN": 100,  # columns in a result (every table here has at most 13)
    "SQLITE_LIMIT_LIKE_PATTERN_LENGTH": 1_000,
}
HEAP_LIMIT = 256 << 20  # bytes SQLite may hold in the whole server (PRAGMA hard_heap_limit)
SETTINGS = {"sql_time_limit_ms": 1000, "max_returned_rows": 1000, "num_sql_threads": 2}


def limit(conn: sqlite3.Connection) -> None:
    """Bound what one query on `conn` can build: the size of a value and of the SQL, the
    columns of a result, and the memory of SQLite in the whole process."""
    for name, value in LIMITS.items():
        conn.setlimit(getattr(sqlite3, name), value)
    conn.execute(f"PRAGMA hard_heap_limit = {HEAP_LIMIT}")


def limit_memory(megabytes: int) -> None:
    """Cap this process's address space (RLIMIT_AS): past it an allocation fails, so a query
    that builds too much fails alone (an error page) and the server goes on."""
    import resource

    wanted = megabytes << 20
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))


def serve(
    path: str | Path, host: str = "127.0.0.1", port: int = 8001, max_memory: int | None = None
) -> None:
    """Run Datasette on the store until interrupted; with `max_memory` (MB), cap the whole
    process's memory first (see limit_memory)."""
    try:  # datasette has no type information: its command is used as Any
        cli: Any = importlib.import_module("datasette.cli").cli
        datasette: Any = importlib.import_module("datasette")
        plugins: Any = importlib.import_module("datasette.plugins")
    except ModuleNotFoundError:
        raise TrackerError("tracker serve needs Datasette: pip install -e '.[web]'") from None
    if plugins.pm.get_plugin(_PLUGIN) is None:  # every connection Datasette opens is limited
        plugin = types.ModuleType(_PLUGIN, "Limits on each query of tracker serve.")
        plugin.prepare_connection = datasette.hookimpl(lambda conn: limit(conn))  # type: ignore[attr-defined]
        plugins.pm.register(plugin, name=_PLUGIN)
    path = Path(path)
    if max_memory is not None:
        limit_memory(max_memory)
    with tempfile.TemporaryDirectory(prefix="tracker-serve-") as folder:
        meta = Path(folder) / "metadata.json"
        meta.write_text(json.dumps(metadata(path.stem), indent=2), encoding="utf-8")
        args = ["serve", str(path), "--host", host, "--port", str(port), "--metadata", str(meta)]
        for name, value in SETTINGS.items():
            args += ["--setting", name, str(value)]
        cli.main(args, prog_name="datasette", standalone_mode=False)


_PLUGIN = "tracker_limits"
