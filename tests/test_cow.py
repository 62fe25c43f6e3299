"""The Correlates of War importers: the Diplomatic Exchange data bounded by the State System
Membership list give back the data's own answers for every snapshot year, and nothing else.

The expected answers are computed from the fixtures by the `csv` module alone, with this
file's own table of COW codes (COW_IDS), never by the importer's code.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Cli
from tracker.importers import cow, cow_codes
from tracker.loading import load
from tracker.query import state, who
from tracker.store import Store

COW_DIR = Path(__file__).parent / "fixtures" / "cow"
DE = COW_DIR / "Diplomatic_Exchange_2006v1.csv"  # quoted header, the float-spelled version
DE_ZIP = COW_DIR / "Diplomatic_Exchange_2006v1.zip"  # the same file zipped, with a README
STATES = COW_DIR / "states2016.csv"
SHEET = COW_DIR / "states2016_spreadsheet.csv"  # empty trailing columns, CRLF
LIFESPANS = Path(__file__).resolve().parent.parent / "seeds" / "lifespans.toml"


def _russia(day: str) -> str:
    return "SUN" if "1922-12-30" <= day < "1991-12-26" else "RUS"


# COW code -> the tracker entity it names on a day (COW's state list, ISO 3166, and the days
# of the bundled lifespans where a code changes entity).
COW_IDS: dict[int, Callable[[str], str]] = {
    2: lambda _: "USA",
    20: lambda _: "CAN",
    40: lambda _: "CUB",
    41: lambda _: "HTI",
    255: lambda _: "DEU",
    260: lambda _: "DEU",
    265: lambda _: "DDR",
    300: lambda _: "COW_300",
    315: lambda _: "CSK",
    316: lambda _: "CZE",
    317: lambda _: "SVK",
    365: _russia,
    511: lambda _: "COW_511",
    678: lambda _: "YEM",
    679: lambda _: "YEM",
    680: lambda _: "YMD",
    710: lambda _: "CHN",
    730: lambda _: "COW_730",
    817: lambda _: "COW_817",
}


def _spells() -> dict[int, list[tuple[str, str]]]:
    found: dict[int, list[tuple[str, str]]] = {}
    with STATES.open(newline="") as handle:
        for row in csv.DictReader(handle):
            start = dt.date(int(row["styear"]), int(row["stmonth"]), int(row["stday"]))
            end = dt.date(int(row["endyear"]), int(row["endmonth"]), int(row["endday"]))
            found.setdefault(int(row["ccode"]), []).append((start.isoformat(), end.isoformat()))
    return found


def _member(spells: dict[int, list[tuple[str, str]]], ccode: int, day: str) -> bool:
    return any(start <= day <= end for start, end in spells[ccode])


def _file_says() -> dict[tuple[str, int], dict[str, int]]:
    """(counterpart, year) -> {sender: level}, from the fixture's rows whose states were both
    in the system on 31 December of the year (DR_at_1: country 2 at country 1)."""
    spells = _spells()
    found: dict[tuple[str, int], dict[str, int]] = {}
    with DE.open(newline="") as handle:
        for row in csv.DictReader(handle):
            c1, c2, year = int(row["ccode1"]), int(row["ccode2"]), int(row["year"])
            day = f"{year}-12-31"
            if not (_member(spells, c1, day) and _member(spells, c2, day)):
                continue
            one, two = COW_IDS[c1](day), COW_IDS[c2](day)
            for sender, receiver, level in ((two, one, row["DR_at_1"]), (one, two, row["DR_at_2"])):
                found.setdefault((receiver, year), {})[sender] = int(level)
    return found


FILE_SAYS = _file_says()
YEARS = sorted({year for _, year in FILE_SAYS})


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """A store with the bundled lifespans and the fixture imported from its zip."""
    store = Store(tmp_path_factory.mktemp("cow") / "cow.db")
    load(store, [LIFESPANS], quiet=True)
    cow.import_files(store, [DE_ZIP], states=[STATES], lifespans=LIFESPANS, quiet=True)
    return store


class TestSnapshotsComeBack:
    """On 31 December of every snapshot year, the data's own answer."""

    @pytest.mark.parametrize("year", YEARS)
    def test_who_lists_exactly_the_senders_the_file_lists(self, imported: Store, year: int) -> None:
        """For every counterpart, `who --where envoy_sent=ambassador` on 31 December lists
        the states the file gives an ambassador there that year, settled, and no other."""
        for (counterpart, y), senders in FILE_SAYS.items():
            if y != year:
                continue
            found = who(imported, counterpart, {"envoy_sent": "ambassador"}, f"{year}-12-31")
            expected = sorted(s for s, level in senders.items() if level == 3)
            assert found.actors == expected, (counterpart, year)
            missing = {s for s, level in senders.items() if level == -9}
            assert set(found.uncertain) <= missing, (counterpart, year)

    @pytest.mark.parametrize("year", YEARS)
    def test_the_receivers_view_is_the_same_fact(self, imported: Store, year: int) -> None:
        """The same heads of mission, seen from the capital that received them: who sends an
        ambassador to C is who C receives one from (one fact per envoy)."""
        for (counterpart, y), senders in FILE_SAYS.items():
            if y != year:
                continue
            for sender, level in senders.items():
                if level in (-9,):
                    continue
                found = state(imported, counterpart, sender, f"{year}-12-31").dimensions
                wanted = {0: "none", 1: "charge_d_affaires", 2: "minister", 3: "ambassador"}
                assert found["envoy_received"].value == wanted.get(level, "other"), (
                    counterpart,
                    sender,
                    year,
                )
                assert not found["envoy_received"].uncertain

    def test_a_change_is_uncertain_between_the_snapshots(self, imported: Store) -> None:
        """Inside the window of a change (after Y1, by the end of Y2) the dyad is uncertain;
        on 31 December of Y1, as on that of Y2, it is settled: the change is dated 1976/1990,
        not 1975/1990."""
        china = state(imported, "USA", "CHN", "1978-06-01").dimensions["envoy_sent"]
        assert china.uncertain and set(china.possible) == {"other", "ambassador"}
        before = state(imported, "USA", "CHN", "1975-12-31").dimensions["envoy_sent"]
        assert (before.value, before.uncertain) == ("other", False)
        assert state(imported, "USA", "CHN", "1990-12-31").dimensions["envoy_sent"].value == (
            "ambassador"
        )
        (event,) = [
            r.event
            for r in imported.records(("USA", "CHN"))
            if (r.type, r.actor, r.operand) == ("envoy_sent", "USA", "ambassador")
            and r.earliest > "1950"
        ]
        assert event.on == "1976/1990"

    def test_level_nine_is_other(self, imported: Store) -> None:
        """Level 9 (an interests section, a liaison office) is the level `other`."""
        assert state(imported, "USA", "CUB", "1990-12-31").dimensions["envoy_sent"].value == "other"


class TestStretches:
    """A dyad lives only while both its states are in the system, and starts afresh after."""

    def test_a_dissolved_state_does_not_keep_its_envoys(self, imported: Store) -> None:
        """After the USSR ceased, USA -> SUN does not exist, and who SUN lists nobody."""
        found = state(imported, "USA", "SUN", "2005-06-01")
        assert found.exists == "no"
        assert found.dimensions["envoy_sent"].value == "none"
        assert found.lifespans["SUN"].successors[0] == "RUS"
        assert who(imported, "SUN", {"envoy_sent": "ambassador"}, "2005-06-01").actors == []
        assert who(imported, "SUN", {"envoy_sent": "none"}, "2005-06-01").actors == []

    def test_the_bundled_lifespans_come_with_the_import(self, cli: Cli) -> None:
        """Into a store without the seeds, the import brings the bundled lifespans where a
        code changes entity, so the USSR's ambassadors end with it."""
        result = cli("import", "cow", "--quiet", "--states", str(STATES), str(DE))
        assert result.exit_code == 0, result.output
        gone = json.loads(cli("state", "USA", "SUN", "--on", "2005-06-01", "--json").output)
        assert gone["exists"] == "no"
        assert gone["lifespans"]["SUN"]["since"] == "1991-12-26"

    def test_no_envoy_across_a_gap(self, imported: Store) -> None:
        """Haiti was out of the system in 1915-1934 and Germany in 1945-1955: no dyad then,
        and on their return a level is uncertain until a snapshot says it."""
        assert state(imported, "USA", "HTI", "1925-06-01").exists == "no"
        assert state(imported, "USA", "DEU", "1950-06-01").exists == "no"
        back = state(imported, "USA", "HTI", "1935-06-01").dimensions["envoy_sent"]
        assert back.uncertain and back.possible == ("none", "minister")
        after = state(imported, "USA", "DEU", "1956-01-01").dimensions["envoy_sent"]
        assert after.uncertain  # the 1960 snapshot settles it
        assert state(imported, "USA", "DEU", "1960-12-31").dimensions["envoy_sent"].value == (
            "ambassador"
        )

    def test_a_stretch_starts_on_its_first_day(self, imported: Store) -> None:
        """A dyad's first level is dated from the day its stretch began, not from an earlier
        snapshot of the file."""
        ons = sorted(r.on for r in imported.records(("USA", "CSK")) if r.type == "envoy_sent")
        assert ons[0] == "1918-11-14/1925-12-31"

    def test_a_code_changing_entity_carries_its_level(self, imported: Store) -> None:
        """COW 365 is the USSR, then Russia: the level carries over on the day of the change,
        and a change between snapshots either side is possible on both sides of it."""
        russia = state(imported, "USA", "RUS", "1993-01-01").dimensions["envoy_sent"]
        assert (russia.value, russia.since, russia.uncertain) == ("ambassador", "1991-12-26", False)
        early = state(imported, "USA", "SUN", "1924-01-01").dimensions["envoy_sent"]
        assert early.uncertain and set(early.possible) == {"ambassador", "none"}
        tsarist = state(imported, "USA", "RUS", "1920-01-01").dimensions["envoy_sent"]
        assert tsarist.uncertain and set(tsarist.possible) == {"ambassador", "none"}

    def test_colliding_codes_are_told_apart_and_reported(self, cli: Cli) -> None:
        """678 and 679 are both Yemen in 1990: the one in the system on 31 December is read,
        and the report names both rows."""
        cli("load", "--quiet", str(LIFESPANS))
        report = json.loads(
            cli("import", "cow", "--quiet", "--json", "--states", str(STATES), str(DE)).output
        )
        notes = [n for n in report["notes"] if n.startswith("collision: USA-YEM in 1990")]
        assert len(notes) == 1 and f"{DE}:55" in notes[0] and f"{DE}:54" in notes[0]
        found = json.loads(cli("state", "YEM", "USA", "--on", "1992-01-01", "--json").output)
        assert found["dimensions"]["envoy_sent"]["value"] == "ambassador"

    def test_historic_states_become_declared_entities(self, imported: Store) -> None:
        """States without an ISO code are declared with COW's code, name and abbreviation,
        and their dyads are kept (here the US minister to Korea and ambassador to Saigon)."""
        declared = {e.id: e for e in imported.entities()}
        assert declared["COW_730"].name == "Korea"
        assert declared["COW_730"].aliases == ("COW 730", "COW KOR")
        assert declared["COW_300"].name == "Austria-Hungary"
        assert state(imported, "USA", "COW_730", "1899-12-31").dimensions["envoy_sent"].value == (
            "minister"
        )
        assert state(imported, "USA", "COW_730", "1910-01-01").exists == "no"
        assert state(imported, "USA", "COW_817", "1960-12-31").dimensions["envoy_sent"].value == (
            "ambassador"
        )


class TestIdentity:
    """The same data, however it is spelled or packed, is the same events."""

    def test_spellings_and_packing_add_nothing_the_second_time(
        self, cli: Cli, tmp_path: Path
    ) -> None:
        """Version `2006.1` or `2006.0999755859375`, plain or zipped, quoted header or not,
        states with or without trailing columns: the second import adds 0 events."""
        plain = tmp_path / "Diplomatic_Exchange_2006v1.csv"
        text = DE.read_text(encoding="utf-8").replace("2006.0999755859375", "2006.1")
        plain.write_text(text.replace('"', ""), encoding="utf-8")
        assert '"' not in plain.read_text() and "2006.1\n" in plain.read_text()
        first = json.loads(
            cli("import", "cow", "--quiet", "--json", "--states", str(STATES), str(DE_ZIP)).output
        )
        assert first["added"] > 0
        for data, states in ((plain, SHEET), (DE, STATES), (DE_ZIP, SHEET)):
            again = json.loads(
                cli("import", "cow", "--quiet", "--json", "--states", str(states), str(data)).output
            )
            assert again["added"] == 0 and again["events"] == first["events"], data

    def test_the_source_names_the_version_as_published(self, imported: Store) -> None:
        """The float spelling is read as version 2006.1, the version COW publishes."""
        titles = {
            s.title
            for r in imported.scan()
            if r.type in ("envoy_sent", "envoy_recalled")
            for s in r.event.sources
        }
        assert titles == {"Diplomatic Exchange data set, v2006.1"}

    @pytest.mark.parametrize(
        ("text", "published"),
        [
            ("2006.0999755859375", "2006.1"),
            ("2006.1", "2006.1"),
            ("2006.10", "2006.1"),
            ("2016", "2016"),
        ],
    )
    def test_version_spellings(self, text: str, published: str) -> None:
        """A 32-bit float written out in full is read back as the short version it stands for."""
        assert cow.cow_states.published_version("f", 2, text) == published


class TestReports:
    """Every row in one bucket; the buckets add up to the rows read."""

    def test_diplomatic_exchange_buckets(self, cli: Cli) -> None:
        """The fixture's rows: read, out of the system on 31 December, or missing both levels."""
        report = json.loads(
            cli("import", "cow", "--quiet", "--json", "--states", str(STATES), str(DE)).output
        )
        assert report["rows"] == 72
        assert report["buckets"] == {
            "imported": 67,
            "skipped: with a state out of the system on 31 December": 3,
            "skipped: with both levels missing (-9)": 2,
        }
        assert sum(report["buckets"].values()) == report["rows"]
        assert report["declared_entities"] == ["COW_300", "COW_511", "COW_730", "COW_817"]

    def test_membership_buckets(self, cli: Cli) -> None:
        """Every row of the membership list is a spell, imported."""
        report = json.loads(cli("import", "cow-states", "--quiet", "--json", str(SHEET)).output)
        assert report["rows"] == 23 and report["buckets"] == {"imported": 23}

    def test_unmapped_codes_and_levels(self, cli: Cli, tmp_path: Path) -> None:
        """A code not in the state list and a level not in the codebook are unmapped rows;
        a row with one good level keeps it."""
        bad = tmp_path / "odd.csv"
        text = DE.read_text(encoding="utf-8")
        text += "2,999,1995,3,3,1,2006.0999755859375\n2,20,1999,7,3,1,2006.0999755859375\n"
        bad.write_text(text, encoding="utf-8")
        report = json.loads(
            cli("import", "cow", "--quiet", "--json", "--states", str(STATES), str(bad)).output
        )
        assert report["buckets"]["unmapped: with a COW code not in the state list"] == 1
        assert report["buckets"]["imported"] == 68  # the 1999 row: its DR_at_2 is read
        assert report["unmapped_codes"] == {"COW codes": {"999": 1}, "levels": {"7": 1}}
        assert sum(report["buckets"].values()) == report["rows"] == 74

    def test_a_repeated_dyad_year_and_a_state_against_itself(
        self, cli: Cli, tmp_path: Path
    ) -> None:
        """A second row for a dyad and year (levels in conflict) keeps the first row's levels;
        a row naming one state on both sides is skipped; each is counted in its bucket."""
        odd = tmp_path / "odd.csv"
        text = DE.read_text(encoding="utf-8")
        text += "20,2,1995,1,1,1,2006.0999755859375\n2,2,1995,3,3,1,2006.0999755859375\n"
        odd.write_text(text, encoding="utf-8")
        report = json.loads(
            cli("import", "cow", "--quiet", "--json", "--states", str(STATES), str(odd)).output
        )
        assert report["buckets"]["skipped: repeating a dyad and year (the first row kept)"] == 1
        assert report["buckets"]["skipped: naming one entity with both codes"] == 1
        assert report["buckets"]["imported"] == 67
        assert sum(report["buckets"].values()) == report["rows"] == 74
        for actor, counterpart in (("USA", "CAN"), ("CAN", "USA")):
            found = json.loads(
                cli("state", actor, counterpart, "--on", "1995-12-31", "--json").output
            )
            assert found["dimensions"]["envoy_sent"]["value"] == "ambassador"


def _refused(cli: Cli, args: list[str], where: str, reason: str) -> None:
    result = cli("import", *args)
    assert result.exit_code == 1, result.output
    (message,) = result.output.strip().splitlines()
    assert message.startswith(f"error: {where}: ") and reason in message, message
    with Store(cli.db) as store:
        assert store.count() == 0


class TestMalformed:
    """Bad COW files: one line naming file, line and reason; exit 1; nothing written."""

    def _edit(self, tmp_path: Path, old: str, new: str, source: Path = DE) -> Path:
        path = tmp_path / source.name
        text = source.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return path

    @pytest.mark.parametrize(
        ("old", "new", "reason"),
        [
            ("2,20,1925,0,0", "2,20,1925,x,0", "DR_at_1 'x' is not a whole number"),
            ("2,20,1925,0,0", "2,20,1_925,0,0", "year '1_925' is not a whole number"),
            ("2,20,1925,0,0", "2,20,1925,0_3,0", "DR_at_1 '0_3' is not a whole number"),
            ("2,20,1925,0,0", "2,20,1925,\u0663,0", "DR_at_1 '٣' is not a whole number"),
            ("2,20,1925,0,0", "2,20,1925,+2,0", "DR_at_1 '+2' is not a whole number"),
            ("2,20,1925,0,0,0,2006.0999755859375", "2,20,1925,0,0,0,2006.1\x00", "NUL character"),
            ("2,20,1925,0,0,0", "2,20,1925,0,0,0,1", "expected 7 columns, found 8"),
        ],
    )
    def test_bad_rows(self, cli: Cli, tmp_path: Path, old: str, new: str, reason: str) -> None:
        """Numbers in ASCII digits only, no NUL, the right number of columns."""
        bad = self._edit(tmp_path, old, new)
        _refused(cli, ["cow", "--quiet", "--states", str(STATES), str(bad)], f"{bad}:2", reason)

    def test_a_huge_field(self, cli: Cli, tmp_path: Path) -> None:
        """A field of 200,000 characters is refused at the line cap (no _csv.Error)."""
        bad = self._edit(tmp_path, "2006.0999755859375\n", "2006." + "1" * 200_000 + "\n")
        _refused(
            cli, ["cow", "--quiet", "--states", str(STATES), str(bad)], f"{bad}:2", "longer than"
        )

    def test_invalid_utf8(self, cli: Cli, tmp_path: Path) -> None:
        """A byte that is not UTF-8 is refused at its line."""
        bad = tmp_path / "latin.csv"
        bad.write_bytes(STATES.read_bytes().replace(b"Korea", b"Cor\xe9e"))
        _refused(cli, ["cow-states", "--quiet", str(bad)], f"{bad}:23", "not UTF-8 text")

    def test_not_the_format(self, cli: Cli, tmp_path: Path) -> None:
        """A CSV with other columns is not a Diplomatic Exchange file, nor a state list."""
        other = tmp_path / "other.csv"
        other.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
        _refused(
            cli,
            ["cow", "--quiet", "--states", str(STATES), str(other)],
            f"{other}:1",
            "not a COW Diplomatic Exchange file",
        )
        _refused(cli, ["cow-states", "--quiet", str(other)], f"{other}:1", "not a COW State")

    def test_mixed_versions(self, cli: Cli, tmp_path: Path) -> None:
        """One file with two versions is refused."""
        bad = self._edit(tmp_path, "2,20,1935,2,2,1,2006.0999755859375", "2,20,1935,2,2,1,2011.0")
        _refused(
            cli, ["cow", "--quiet", "--states", str(STATES), str(bad)], str(bad), "mixed versions"
        )

    def test_spells_that_cannot_be(self, cli: Cli, tmp_path: Path) -> None:
        """An impossible date, a spell ending before it starts, overlapping spells."""
        cases = [
            ("1920,1,10,2016", "1920,2,30,2016", "start 1920-2-30 is not a date"),
            ("CAN,20,Canada,1920,1,10", "CAN,20,Canada,2020,1,10", "ends (2016-12-31) before"),
            ("CUB,40,Cuba,1909,1,23", "CUB,40,Cuba,1905,1,23", "overlaps the one at line 4"),
        ]
        for old, new, reason in cases:
            bad = self._edit(tmp_path, old, new, STATES)
            result = cli("import", "cow-states", "--quiet", str(bad))
            assert result.exit_code == 1 and reason in result.output, result.output

    def test_states_are_required(self, cli: Cli) -> None:
        """Without the membership list, the Diplomatic Exchange file cannot be read right."""
        result = cli("import", "cow", "--quiet", str(DE))
        assert result.exit_code == 2 and "--states" in result.output
        with Store(cli.db) as store, pytest.raises(Exception, match="--states"):
            cow.import_files(store, [DE], states=[], quiet=True)


class TestMembershipAlone:
    """`tracker import cow-states` gives the entities their COW lifespans."""

    def test_spells_become_lifespans(self, cli: Cli) -> None:
        """Haiti's two spells are a beginning, an end and a return; a spell from 1816 began
        by then; a state still in the system has no end."""
        cli("load", "--quiet", str(LIFESPANS))
        assert cli("import", "cow-states", "--quiet", str(STATES)).exit_code == 0
        with Store(cli.db) as store:
            haiti = [(r.type, r.on) for r in store.records(("HTI", "HTI"))]
            usa = [(r.type, r.on) for r in store.records(("USA", "USA"))]
        assert haiti == [
            ("entity_began", "1859-01-01"),
            ("entity_ended", "1915-07-29"),
            ("entity_began", "1934-08-15"),
        ]
        assert ("entity_began", "../1816-01-01") in usa
        assert not any(kind == "entity_ended" for kind, _ in usa)

    def test_a_code_changing_entity_needs_the_bundled_lifespans(self, store: Store) -> None:
        """Without the bundled lifespans (where 365 turns from Russia to the USSR), the import
        says what to load instead of guessing."""
        with pytest.raises(Exception, match="no lifespan for RUS, SUN"):
            cow.import_states(store, [STATES], quiet=True)

    def test_curated_entities_are_not_overwritten(self, store: Store, tmp_path: Path) -> None:
        """An entity the store already declares keeps its name and kind."""
        ledger = tmp_path / "korea.toml"
        ledger.write_text(
            '[[entity]]\nid = "COW_730"\nname = "Joseon Korea"\nkind = "state"\n',
            encoding="utf-8",
        )
        load(store, [ledger, LIFESPANS], quiet=True)
        report = cow.import_states(store, [STATES], lifespans=LIFESPANS, quiet=True)
        assert "COW_730" not in report.declared
        assert {e.id: e.name for e in store.entities()}["COW_730"] == "Joseon Korea"


def test_the_zip_holds_the_fixture() -> None:
    """The zipped fixture is the plain one, beside a member that is not a CSV."""
    with zipfile.ZipFile(DE_ZIP) as archive:
        assert sorted(archive.namelist()) == ["Diplomatic_Exchange_2006v1.csv", "README.txt"]
        assert archive.read("Diplomatic_Exchange_2006v1.csv") == DE.read_bytes()


def test_codes_switch_entity_on_the_lifespans_days() -> None:
    """Where a COW code changes entity, it does so on the day the bundled lifespans give."""
    assert cow_codes.entity(365, "1991-12-25") == "SUN"
    assert cow_codes.entity(365, "1991-12-26") == "RUS"
    assert cow_codes.entity(345, "1918-11-30") == "SRB"
    assert cow_codes.entity(345, "2003-02-04") == "SCG"
    assert cow_codes.entity(817, "1960-01-01") == "COW_817"
    assert (
        cow_codes.converter_table()[315] == "CZE" and cow_codes.entity(315, "1990-01-01") == "CSK"
    )
