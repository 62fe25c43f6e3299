"""Tamper evidence: re-derive every stored row and its place in the hash chain."""

from __future__ import annotations

import json
import sqlite3

import attrs

from .tables import COLUMNS, GENESIS, chain
from .timeline import Record


@attrs.frozen
class Problem:
    """A verification failure: the first bad row and why."""

    seq: int | None
    reason: str


def verify(conn: sqlite3.Connection) -> list[Problem]:
    """Check the chain, the ids, the derived columns and the triggers; empty when all hold."""
    from events import EventFormatError, from_dict

    problems: list[Problem] = []
    triggers = {
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'"
        )
    }
    for name in ("events_no_update", "events_no_delete"):
        if name not in triggers:
            problems.append(Problem(None, f"trigger {name} is missing: events can be edited"))
    previous, expected = GENESIS, 1
    rows = conn.execute(f"SELECT {COLUMNS}, hash FROM events ORDER BY seq")
    for *columns, stored in rows:
        found = Record(*columns)
        reason = None
        if found.seq != expected:
            reason = f"seq {expected} is missing"
        elif chain(previous, found.seq, found.id, found.recorded, found.body) != stored:
            reason = "hash chain broken: the row or one before it was changed"
        else:
            try:
                event = from_dict(json.loads(found.body))
            except (ValueError, EventFormatError) as error:
                reason = f"body does not read as an event: {error}"
            else:
                rebuilt = Record.of(found.seq, event, found.recorded)
                if rebuilt.id != found.id:
                    reason = "id does not match the event's content"
                elif rebuilt != found:
                    reason = "columns do not match the event's content"
        if reason is not None:
            problems.append(Problem(found.seq if found.seq == expected else expected, reason))
            break
        previous, expected = stored, expected + 1
    return problems
