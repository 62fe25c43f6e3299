"""The Correlates of War Diplomatic Exchange data set (v2006.1 CSV) as envoy events.

Columns: `ccode1, ccode2, year, DR_at_1, DR_at_2, DE, version`. The COW codebook: DR_at_1 is
the level of diplomatic representation *of country 2 at country 1* (country 2's envoy in
country 1's capital), DR_at_2 that of country 1 at country 2. So DR_at_1 moves the dyad
ccode2 -> ccode1 and DR_at_2 the dyad ccode1 -> ccode2, as `envoy_sent` by the sender:

    level  COW meaning         event
    0      none                envoy_recalled (when a level was held before)
    1      charge d'affaires   envoy_sent(level=charge_d_affaires)
    2      minister            envoy_sent(level=minister)
    3      ambassador          envoy_sent(level=ambassador)
    9      other               envoy_sent(level=other) (e.g. an interests section)
    -9     missing             the snapshot is skipped and counted (so is an empty level)

The data are snapshots (one year every five or ten). A level that differs between two
consecutive snapshots Y1 and Y2 of a dyad becomes one event dated `Y1/Y2`: the change
happened somewhere in that window, and the tracker answers "uncertain" inside it. A dyad's
first non-zero level in year Y is dated from the file's previous snapshot year (`Yp/Y`; the
dyad was absent then, a state not yet in the system) or `../Y` in the file's first year.

Country codes. COW codes map to ISO alpha-3 through country_converter's table (its GWcode
column: Gleditsch-Ward codes, which follow COW's for most states; country_converter has no
COW column), corrected by COW_OVERRIDES where COW's own state list differs. States that
dissolved or merged take their ISO 3166-3 code for the years they existed (SUN, CSK, DDR,
YUG, SCG, YMD, VDR); renamed states keep their current code. Codes with no ISO code are
counted as unmapped.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from events import Event, EventFormatError, from_dict

from ..entities import iso_states
from ..errors import LedgerError, TrackerError
from ..ledger import Located, validate
from ..store import Store
from . import ImportReport, Tally, append

HEADER = ("ccode1", "ccode2", "year", "DR_at_1", "DR_at_2", "DE", "version")
LEVELS: dict[int, str | None] = {
    0: None,
    1: "charge_d_affaires",
    2: "minister",
    3: "ambassador",
    9: "other",
}
MISSING = -9
BLANKS = frozenset({"", ".", "NA"})  # other spellings of a missing level, read as -9
PUBLISHER = "Correlates of War Project"
URL = "https://correlatesofwar.org/data-sets/diplomatic-exchange/"

# COW code -> ((first year, last year, ISO code or None), ...), checked against COW's state
# list (COW-country-codes.csv) where it differs from country_converter's GWcode column.
COW_OVERRIDES: dict[int, tuple[tuple[int, int, str | None], ...]] = {
    255: ((1816, 9999, "DEU"),),  # Germany (to 1945, and unified from 1990); absent in GW
    260: ((1816, 9999, "DEU"),),  # German Federal Republic 1955-1990 (ISO DEU continues it)
    265: ((1816, 9999, "DDR"),),  # German Democratic Republic; absent in GW's table here
    315: ((1816, 9999, "CSK"),),  # Czechoslovakia; the table gives CZE
    316: ((1816, 9999, "CZE"),),  # Czech Republic; absent in the table
    340: ((1816, 9999, None),),  # COW: Serbia 1878-1915 (GW uses 340 for Serbia from 2006)
    345: ((1816, 2002, "YUG"), (2003, 2005, "SCG"), (2006, 9999, "SRB")),  # Yugoslavia/Serbia
    347: ((1816, 9999, None),),  # Kosovo: no ISO 3166 code
    365: ((1816, 1921, "RUS"), (1922, 1991, "SUN"), (1992, 9999, "RUS")),  # Russia / USSR
    678: ((1816, 9999, "YEM"),),  # Yemen Arab Republic (ISO YEM, continued by Yemen)
    679: ((1816, 9999, "YEM"),),  # Yemen, from 1990; absent in the table
    680: ((1816, 9999, "YMD"),),  # Yemen People's Republic (South); the table gives YEM
    816: ((1816, 1975, "VDR"), (1976, 9999, "VNM")),  # Vietnam (DRV until unification)
    817: ((1816, 9999, None),),  # Republic of Vietnam (South): the table gives VNM
    946: ((1816, 9999, "KIR"),),  # Kiribati (GW 970)
    947: ((1816, 9999, "TUV"),),  # Tuvalu (GW 973)
    955: ((1816, 9999, "TON"),),  # Tonga (GW 972)
    970: ((1816, 9999, "NRU"),),  # Nauru (GW 971); the table gives KIR
    971: ((1816, 9999, None),),  # not a COW code (GW Nauru)
    972: ((1816, 9999, None),),  # not a COW code (GW Tonga)
    973: ((1816, 9999, None),),  # not a COW code (GW Tuvalu)
}


@functools.cache
def converter_table() -> dict[int, str]:
    """country_converter's numeric code -> ISO alpha-3 table (read from its data file).

    The file is read directly: constructing `CountryConverter` loads pandas (slow to start),
    and country_converter 1.3 fails to construct at all under pandas 3.
    """
    from importlib import resources

    try:
        data = resources.files("country_converter").joinpath("country_data.tsv")
        text = data.read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        raise TrackerError(
            "importing COW data needs country_converter: pip install -e '.[import]'"
        ) from None
    table: dict[int, str] = {}
    for row in csv.DictReader(text.splitlines(), delimiter="\t"):
        code = (row.get("GWcode") or "").strip()
        if code.isdigit() and row.get("ISO3"):
            table[int(code)] = row["ISO3"]
    return table


def iso_code(ccode: int, year: int) -> str | None:
    """The ISO alpha-3 code of COW state `ccode` in `year`, or None when there is none."""
    if ccode in COW_OVERRIDES:
        for first, last, iso in COW_OVERRIDES[ccode]:
            if first <= year <= last:
                return iso
        return None
    iso = converter_table().get(ccode)
    return iso if iso in iso_states() else None


@attrs.frozen
class Observation:
    """One snapshot of one directed dyad: the sender's level at the receiver in a year."""

    year: int
    level: int
    line: int
    ccode1: int
    ccode2: int
    column: str

    def cite(self) -> str:
        """Where this observation is in the data set."""
        return (
            f"{self.year}: {self.column}={self.level} (ccode1 {self.ccode1}, ccode2 {self.ccode2})"
        )


def _int(name: str, line: int, column: str, text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise LedgerError(name, line, f"{column} {text!r} is not a whole number") from None


@attrs.frozen
class Parsed:
    """Observations per dyad, the snapshot years, and what was left out."""

    rows: int
    version: str
    dyads: dict[tuple[str, str], list[Observation]]
    years: tuple[int, ...]
    tally: Tally


def _observe(path: Path, tally: Tally) -> Parsed:
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise LedgerError(name, None, f"cannot read: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise LedgerError(name, None, "not UTF-8 text") from None
    dyads: dict[tuple[str, str], dict[int, Observation]] = {}
    years: set[int] = set()
    versions: set[str] = set()
    count = 0
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None or [h.strip().lower() for h in header] != [h.lower() for h in HEADER]:
        raise LedgerError(
            name, 1, "not a COW Diplomatic Exchange file: expected columns " + ",".join(HEADER)
        )
    for fields in reader:
        line = reader.line_num
        if not any(f.strip() for f in fields):
            continue
        if len(fields) != len(HEADER):
            raise LedgerError(name, line, f"expected {len(HEADER)} columns, found {len(fields)}")
        count += 1
        c1, c2, year, at1, at2 = (
            MISSING if i >= 3 and cell.strip() in BLANKS else _int(name, line, column, cell)
            for i, (column, cell) in enumerate(zip(HEADER[:5], fields[:5], strict=True))
        )
        if not 1816 <= year <= 9999:
            raise LedgerError(name, line, f"year {year} is out of range")
        versions.add(fields[6].strip())
        years.add(year)
        isos = (iso_code(c1, year), iso_code(c2, year))
        for code, iso in zip((c1, c2), isos, strict=True):
            if iso is None:
                tally.unmap("COW country codes", str(code))
        if None in isos:
            continue
        a, b = isos[0] or "", isos[1] or ""
        # DR_at_1: country 2's envoy at country 1; DR_at_2: country 1's envoy at country 2.
        for dyad, level, column in (((b, a), at1, "DR_at_1"), ((a, b), at2, "DR_at_2")):
            if level == MISSING:
                tally.skip("missing level (-9)")
                continue
            if level not in LEVELS:
                tally.unmap("levels", str(level))
                continue
            if a == b:
                tally.skip("levels between a state and itself")
                continue
            seen = dyads.setdefault(dyad, {})
            previous = seen.get(year)
            if previous is not None:
                if previous.level != level:
                    tally.skip("conflicting levels for a dyad and year (first kept)")
                continue
            seen[year] = Observation(year, level, line, c1, c2, column)
    if len(versions) > 1:
        raise LedgerError(name, None, f"mixed versions in one file: {', '.join(sorted(versions))}")
    return Parsed(
        count,
        versions.pop() if versions else "",
        {dyad: [seen[y] for y in sorted(seen)] for dyad, seen in dyads.items()},
        tuple(sorted(years)),
        tally,
    )


def _event(
    dyad: tuple[str, str], on: str, level: int, cites: list[Observation], version: str, note: str
) -> Event:
    named = LEVELS[level]
    body: dict[str, Any] = {
        "type": "envoy_sent" if named else "envoy_recalled",
        "actor": dyad[0],
        "counterpart": dyad[1],
        "on": on,
        "sources": [
            {
                "title": f"Diplomatic Exchange data set, v{version}",
                "publisher": PUBLISHER,
                "date": version.split(".")[0],
                "url": URL,
                "locator": "; ".join(o.cite() for o in cites),
            }
        ],
        "note": note,
        **({"level": named} if named else {}),
    }
    return validate(from_dict(body))


def _describe(level: int) -> str:
    return f"{level} ({LEVELS[level] or 'none'})"


def read(path: Path, tally: Tally | None = None) -> tuple[Parsed, list[Located]]:
    """Read a Diplomatic Exchange CSV into validated envoy events, one per change of level."""
    parsed = _observe(path, tally or Tally())
    version = parsed.version
    if not version.split(".")[0].isdigit() or len(version.split(".")[0]) != 4:
        raise LedgerError(str(path), 2, f"version {version!r} does not start with a year")
    events: list[Located] = []
    for dyad in sorted(parsed.dyads):
        previous: Observation | None = None
        for obs in parsed.dyads[dyad]:
            if previous is None:
                if obs.level != 0:
                    before = [y for y in parsed.years if y < obs.year]
                    on = f"{before[-1]}/{obs.year}" if before else f"../{obs.year}"
                    note = f"first COW snapshot of this dyad: {_describe(obs.level)} in {obs.year}"
                    events.append(_located(path, obs, dyad, on, [obs], version, note))
            elif obs.level != previous.level:
                note = (
                    f"COW snapshots: {_describe(previous.level)} in {previous.year}, "
                    f"{_describe(obs.level)} in {obs.year}; changed between them"
                )
                on = f"{previous.year}/{obs.year}"
                events.append(_located(path, obs, dyad, on, [previous, obs], version, note))
            previous = obs
    return parsed, events


def _located(
    path: Path,
    obs: Observation,
    dyad: tuple[str, str],
    on: str,
    cites: list[Observation],
    version: str,
    note: str,
) -> Located:
    try:
        return Located(_event(dyad, on, obs.level, cites, version, note), str(path), obs.line)
    except (ValueError, EventFormatError) as error:
        raise LedgerError(str(path), obs.line, str(error)) from None


def import_files(store: Store, paths: Sequence[Path], *, quiet: bool = False) -> ImportReport:
    """Read Diplomatic Exchange CSVs and append their events in one transaction."""
    rows = 0
    tally = Tally()
    events: list[Located] = []
    for path in paths:
        parsed, found = read(path, tally)
        rows += parsed.rows
        events.extend(found)
    added, present, _ = append(store, events, (), label="importing COW", quiet=quiet)
    return ImportReport(
        "cow",
        tuple(str(p) for p in paths),
        rows,
        len(events),
        added,
        present,
        (),
        tally.skipped_dict(),
        tally.unmapped_dict(),
    )
