"""Correlates of War country codes as tracker entities, day by day.

A COW code names one tracker entity on each day: an ISO 3166 alpha-3 code, from
country_converter's code table (its GWcode column: Gleditsch-Ward codes, which follow COW's
for most states; it has no COW column) corrected by OVERRIDES where COW's own state list
differs; or, for a historic state with no ISO code (Austria-Hungary, the German and Italian
states before unification, Korea before 1905, Zanzibar, the Republic of Vietnam, ...), a
declared entity COW_<ccode> with the name COW gives it.

Where one COW state goes by two ISO codes in turn (365: Russia, the USSR, Russia; 345:
Serbia, Yugoslavia, Serbia and Montenegro, Serbia; 816: the Democratic Republic of Viet Nam,
then Viet Nam), the code switches on the day the bundled lifespans (seeds/lifespans.toml)
give for the change, so that the two agree: those lifespans must be in the store.
"""

from __future__ import annotations

import bisect
import csv
import functools

from ..entities import iso_states
from ..errors import TrackerError

START = "0001-01-01"

# COW code -> ((first day, ISO code or None for a declared entity), ...), in order.
OVERRIDES: dict[int, tuple[tuple[str, str | None], ...]] = {
    255: ((START, "DEU"),),  # Germany (Prussia to 1871; to 1945, and from 1990): absent in GW
    260: ((START, "DEU"),),  # German Federal Republic 1955-1990 (ISO DEU continues it)
    265: ((START, "DDR"),),  # German Democratic Republic: absent in GW's table here
    315: ((START, "CSK"),),  # Czechoslovakia: the table gives CZE
    316: ((START, "CZE"),),  # Czech Republic: absent in the table
    340: ((START, None),),  # GW's Serbia; COW counts Serbia under 345
    345: ((START, "SRB"), ("1918-12-01", "YUG"), ("2003-02-04", "SCG"), ("2006-06-05", "SRB")),
    347: ((START, None),),  # Kosovo: no ISO 3166 code
    365: ((START, "RUS"), ("1922-12-30", "SUN"), ("1991-12-26", "RUS")),  # Russia / USSR
    678: ((START, "YEM"),),  # Yemen Arab Republic (ISO YEM, continued by Yemen)
    679: ((START, "YEM"),),  # Yemen, from 1990: absent in the table
    680: ((START, "YMD"),),  # Yemen People's Republic (South): the table gives YEM
    816: ((START, "VDR"), ("1976-07-02", "VNM")),  # Vietnam (the DRV until reunification)
    817: ((START, None),),  # Republic of Vietnam (South): the table gives VNM
    946: ((START, "KIR"),),  # Kiribati (GW 970)
    947: ((START, "TUV"),),  # Tuvalu (GW 973)
    955: ((START, "TON"),),  # Tonga (GW 972)
    970: ((START, "NRU"),),  # Nauru (GW 971): the table gives KIR
    971: ((START, None),),  # not a COW code (GW Nauru)
    972: ((START, None),),  # not a COW code (GW Tonga)
    973: ((START, None),),  # not a COW code (GW Tuvalu)
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
        if code.isascii() and code.isdigit() and row.get("ISO3"):
            table[int(code)] = row["ISO3"]
    return table


def declared_id(ccode: int) -> str:
    """The id of the entity declared for a COW state with no ISO code."""
    return f"COW_{ccode}"


def periods(ccode: int) -> tuple[tuple[str, str], ...]:
    """(first day, entity id) of each stretch in which `ccode` names one entity, in order."""
    if ccode in OVERRIDES:
        steps = OVERRIDES[ccode]
    else:
        iso = converter_table().get(ccode)
        steps = ((START, iso if iso in iso_states() else None),)
    return tuple((day, iso or declared_id(ccode)) for day, iso in steps)


def entity(ccode: int, day: str) -> str:
    """The entity COW state `ccode` is on `day`: an ISO code or its declared COW_ id."""
    found = periods(ccode)
    return found[bisect.bisect_right([d for d, _ in found], day) - 1][1]


def switching() -> frozenset[str]:
    """The ISO codes a COW code switches to or from: their lifespans mark the days."""
    return frozenset(
        iso for steps in OVERRIDES.values() if len(steps) > 1 for _, iso in steps if iso
    )
