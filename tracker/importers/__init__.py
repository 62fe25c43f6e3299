"""Importers: published data sets read as they are, turned into ordinary sourced events.

Each importer validates every row first, puts each row in exactly one bucket (imported,
already present, skipped by reason, unmapped by reason: the buckets add up to the rows
read), then appends the events in one transaction. Event ids are content hashes, so
importing the same file twice adds nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from ..entities import Entity
from ..ledger import Located
from ..loading import progress_bar
from ..store import Store
from .reading import shown

IMPORTED = "imported"
PRESENT = "already present"


@attrs.frozen
class ImportReport:
    """What an import read, what it added, and where every row went.

    `buckets` holds every row once: "imported", "already present", "skipped: REASON" and
    "unmapped: REASON"; they add up to `rows`. `codes` counts the codes that could not be
    mapped (a row can hold two), `notes` says what else the reader should know.
    """

    source: str
    files: tuple[str, ...]
    rows: int
    events: int
    added: int
    present: int
    buckets: dict[str, int] = attrs.field(factory=dict)
    declared: tuple[str, ...] = ()
    codes: dict[str, dict[str, int]] = attrs.field(factory=dict)
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The documented JSON shape."""
        return {
            "source": self.source,
            "files": list(self.files),
            "rows": self.rows,
            "buckets": dict(self.buckets),
            "events": self.events,
            "added": self.added,
            "already_present": self.present,
            "declared_entities": list(self.declared),
            "unmapped_codes": {kind: dict(codes) for kind, codes in self.codes.items()},
            "notes": list(self.notes),
        }

    def lines(self) -> list[str]:
        """The end-of-import report, in words."""
        note = " (already imported)" if self.added == 0 and self.present else ""
        out = [
            f"read {_n(self.rows, 'row')} from {_n(len(self.files), 'file')}: "
            f"{_n(self.events, 'event')}, {self.added} new, {self.present} already present{note}"
        ]
        groups: dict[str, list[tuple[str, int]]] = {}
        for bucket, count in self.buckets.items():
            kind, _, reason = bucket.partition(": ")
            groups.setdefault(kind, []).append((reason, count))
        for kind, reasons in groups.items():
            total = sum(n for _, n in reasons)
            detail = ", ".join(f"{n} {reason}" for reason, n in reasons if reason)
            out.append(
                f"  {total:>{len(str(self.rows))}} {kind}" + (f": {detail}" if detail else "")
            )
        if self.declared:
            out.append(f"declared entities: {', '.join(self.declared)}")
        for kind, codes in self.codes.items():
            shown_codes = ", ".join(f"{shown(code) or '(empty)'} x{n}" for code, n in _top(codes))
            more = f", ... ({len(codes) - 20} more)" if len(codes) > 20 else ""
            out.append(f"unmapped {kind}: {shown_codes}{more}")
        out += list(self.notes)
        return out


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _top(codes: Mapping[str, int]) -> list[tuple[str, int]]:
    return sorted(codes.items(), key=lambda item: (-item[1], item[0]))[:20]


class Tally:
    """Where each row went (one bucket per row) and the codes that could not be mapped."""

    def __init__(self) -> None:
        self.buckets: Counter[str] = Counter()
        self.codes: dict[str, Counter[str]] = {}

    def skip(self, reason: str) -> None:
        """Count one row skipped for `reason`."""
        self.buckets[f"skipped: {reason}"] += 1

    def unmapped(self, reason: str) -> None:
        """Count one row left out because something in it could not be mapped."""
        self.buckets[f"unmapped: {reason}"] += 1

    def code(self, kind: str, code: str) -> None:
        """Count one code of `kind` that could not be mapped (a detail of the rows above)."""
        self.codes.setdefault(kind, Counter())[code] += 1

    def read(self, count: int = 1) -> None:
        """Count rows imported (their events new or not: see `settle`)."""
        self.buckets[IMPORTED] += count

    def settle(self, present: int) -> None:
        """Move `present` rows of one event each from imported to already present."""
        if present:
            self.buckets[IMPORTED] -= present
            self.buckets[PRESENT] += present
        if not self.buckets[IMPORTED]:
            del self.buckets[IMPORTED]

    def bucket_dict(self) -> dict[str, int]:
        """The buckets: imported and already present first, then the others, largest first."""
        order = {IMPORTED: 0, PRESENT: 1}
        items = sorted(self.buckets.items(), key=lambda i: (order.get(i[0], 2), -i[1], i[0]))
        return {bucket: n for bucket, n in items if n}

    def code_dict(self) -> dict[str, dict[str, int]]:
        """The unmapped codes per kind, largest first."""
        return {kind: dict(_top_all(codes)) for kind, codes in sorted(self.codes.items())}


def _top_all(codes: Mapping[str, int]) -> list[tuple[str, int]]:
    return sorted(codes.items(), key=lambda item: (-item[1], item[0]))


def append(
    store: Store,
    events: Sequence[Located],
    entities: Iterable[Entity],
    *,
    label: str,
    quiet: bool,
) -> tuple[int, int, tuple[str, ...]]:
    """Append in one transaction, declaring only entities the store lacks.

    Returns (added, already present, declared ids). An entity the store already has is not
    passed on: its curated name and aliases stay as they are.
    """
    declared = {e.id for e in store.entities()}
    new = sorted({e.id: e for e in entities if e.id not in declared}.values(), key=lambda e: e.id)
    with progress_bar(len(events), label, quiet) as tick:
        report = store.append(events, new, progress=tick)
    return report.added, report.skipped, tuple(e.id for e in new)


__all__ = ["ImportReport", "Tally", "append"]
