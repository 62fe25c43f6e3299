"""Importers: published data sets read as they are, turned into ordinary sourced events.

Each importer validates every row first, counts what it cannot map (never dropping it
silently), then appends the events in one transaction. Event ids are content hashes, so
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


@attrs.frozen
class ImportReport:
    """What an import read, what it added, and everything it skipped or could not map."""

    source: str
    files: tuple[str, ...]
    rows: int
    events: int
    added: int
    present: int
    declared: tuple[str, ...] = ()
    skipped: dict[str, int] = attrs.field(factory=dict)
    unmapped: dict[str, dict[str, int]] = attrs.field(factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The documented JSON shape."""
        return {
            "source": self.source,
            "files": list(self.files),
            "rows": self.rows,
            "events": self.events,
            "added": self.added,
            "already_present": self.present,
            "declared_entities": list(self.declared),
            "skipped": dict(self.skipped),
            "unmapped": {kind: dict(codes) for kind, codes in self.unmapped.items()},
        }

    def lines(self) -> list[str]:
        """The end-of-import report, in words."""
        note = " (already imported)" if self.added == 0 and self.present else ""
        out = [
            f"read {_n(self.rows, 'row')} from {_n(len(self.files), 'file')}: "
            f"{_n(self.events, 'event')}, {self.added} new, {self.present} already present{note}"
        ]
        if self.declared:
            out.append(f"declared entities: {', '.join(self.declared)}")
        if self.skipped:
            parts = ", ".join(f"{n} {reason}" for reason, n in self.skipped.items())
            out.append(f"skipped: {parts}")
        for kind, codes in self.unmapped.items():
            total = sum(codes.values())
            shown = ", ".join(f"{code or '(empty)'} x{n}" for code, n in _top(codes))
            more = f", ... ({len(codes) - 20} more)" if len(codes) > 20 else ""
            out.append(
                f"unmapped {kind}: {_n(total, 'row')} with {_n(len(codes), 'code')}: {shown}{more}"
            )
        if not self.skipped and not self.unmapped:
            out.append("every row was mapped")
        return out


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _top(codes: Mapping[str, int]) -> list[tuple[str, int]]:
    return sorted(codes.items(), key=lambda item: (-item[1], item[0]))[:20]


class Tally:
    """Counters of skipped rows (by reason) and unmapped codes (by kind, then code)."""

    def __init__(self) -> None:
        self.skipped: Counter[str] = Counter()
        self.unmapped: dict[str, Counter[str]] = {}

    def skip(self, reason: str) -> None:
        """Count one row skipped for `reason`."""
        self.skipped[reason] += 1

    def unmap(self, kind: str, code: str) -> None:
        """Count one row whose `kind` code could not be mapped."""
        self.unmapped.setdefault(kind, Counter())[code] += 1

    def skipped_dict(self) -> dict[str, int]:
        """The skipped counts, largest first."""
        return dict(sorted(self.skipped.items(), key=lambda item: (-item[1], item[0])))

    def unmapped_dict(self) -> dict[str, dict[str, int]]:
        """The unmapped counts per kind, largest first."""
        return {kind: dict(_top_all(codes)) for kind, codes in sorted(self.unmapped.items())}


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
    passed on: the store would overwrite a curated name and aliases with ours.
    """
    declared = {e.id for e in store.entities()}
    new = sorted({e.id: e for e in entities if e.id not in declared}.values(), key=lambda e: e.id)
    with progress_bar(len(events), label, quiet) as tick:
        report = store.append(events, new, progress=tick)
    return report.added, report.skipped, tuple(e.id for e in new)


__all__ = ["ImportReport", "Tally", "append"]
