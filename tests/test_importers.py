"""The GDELT and Correlates of War importers: mapping, reports, idempotence, malformed files."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from events import EnvoyRecalled, EnvoySent
from tests.conftest import Cli
from tracker.entities import Entity
from tracker.errors import LedgerError
from tracker.importers import cow, gdelt
from tracker.query import state
from tracker.store import Store

FIXTURES = Path(__file__).parent / "fixtures"
GDELT = FIXTURES / "20250712000000.export.CSV"
COW = FIXTURES / "diplomatic_exchange_2006v1.csv"

# COW's own state list (COW-country-codes.csv: CCode, StateAbb, StateNme) for the codes in
# the COW fixture, with the ISO code each must map to in the years the fixture uses.
COW_STATES = {
    (2, 1990): "USA",  # USA, United States of America
    (20, 1990): "CAN",  # CAN, Canada
    (40, 1990): "CUB",  # CUB, Cuba
    (315, 1990): "CSK",  # CZE, Czechoslovakia
    (316, 1995): "CZE",  # CZR, Czech Republic
    (365, 1990): "SUN",  # RUS, Russia (the Soviet Union until 1991)
    (365, 1995): "RUS",
    (700, 1990): "AFG",  # AFG, Afghanistan
    (710, 1990): "CHN",  # CHN, China
    (732, 1990): "KOR",  # ROK, South Korea
    (770, 1990): "PAK",  # PAK, Pakistan
    (817, 1975): None,  # RVN, Republic of Vietnam: no ISO code
}


def _json(result: object) -> dict[str, object]:
    output = getattr(result, "output", "")
    data = json.loads(output)
    assert isinstance(data, dict)
    return data


class TestGdeltMapping:
    """The documented CAMEO tables: event codes and actors."""

    def test_codes_are_text_with_leading_zeros(self) -> None:
        """Event codes are matched as text, so 054 and 0812 keep their leading zeros."""
        assert "054" in gdelt.CODES and "54" not in gdelt.CODES
        assert gdelt.CODES["0812"].type == "designation_removed"

    @pytest.mark.parametrize(
        ("code", "country", "group", "expected"),
        [
            ("RUS", "RUS", "", "RUS"),
            ("RUSGOV", "RUS", "", "RUS"),
            ("USAMIL", "USA", "", "USA"),
            ("ROMGOV", "ROM", "", "ROU"),
            ("RUSOPP", "RUS", "", None),
            ("USABUS", "USA", "", None),
            ("AFR", "AFR", "", None),
            ("TAL", "", "TAL", "TALIBAN"),
            ("AFGTAL", "AFG", "TAL", "TALIBAN"),
            ("PAKTAL", "PAK", "TAL", None),
            ("IGOUNO", "", "UNO", "UN"),
            ("IGOWTO", "", "WTO", None),
            ("", "", "", None),
        ],
    )
    def test_actor_table(self, code: str, country: str, group: str, expected: str | None) -> None:
        """A CAMEO actor maps to a state, a declared entity, or nothing."""
        found = gdelt.actor_entity(code, country, group)
        assert (found.id if isinstance(found, Entity) else found) == expected


class TestGdeltImport:
    """`tracker import gdelt` on the fixture export."""

    def test_recognition_imports_with_its_source(self, cli: Cli) -> None:
        """A 054 row becomes recognition_granted, citing GLOBALEVENTID and SOURCEURL."""
        result = cli("import", "gdelt", "--quiet", str(GDELT))
        assert result.exit_code == 0, result.output
        shown = cli("state", "RUS", "TALIBAN", "--on", "2025-07-04", "--json")
        data = _json(shown)
        dimensions = data["dimensions"]
        assert isinstance(dimensions, dict)
        assert dimensions["recognition"]["value"] == "recognized"
        (event_id,) = dimensions["recognition"]["events"]
        events = data["events"]
        assert isinstance(events, dict)
        assert events[event_id]["type"] == "recognition_granted"
        (source,) = events[event_id]["sources"]
        assert source["url"] == "https://news.example.com/2025/07/03/russia-recognises-taliban"
        assert source["locator"] == "GLOBALEVENTID 1240000001"
        assert (
            "https://news.example.com/2025/07/03/russia-recognises-taliban"
            in cli("state", "RUS", "TALIBAN", "--on", "2025-07-04").output
        )

    def test_events_are_marked_machine_coded(self, store: Store) -> None:
        """Every imported event's note says it was machine-coded by GDELT."""
        gdelt.import_files(store, [GDELT], quiet=True)
        notes = [record.event.note for record in store.scan()]
        assert notes and all(n and n.startswith("machine-coded (GDELT)") for n in notes)

    def test_importing_twice_adds_nothing(self, cli: Cli) -> None:
        """Ids are content hashes: a second import of the same file adds no event."""
        first = _json(cli("import", "gdelt", "--quiet", "--json", str(GDELT)))
        second = _json(cli("import", "gdelt", "--quiet", "--json", str(GDELT)))
        assert first["added"] == 10 and first["already_present"] == 0
        assert second["added"] == 0 and second["already_present"] == 10
        assert "already imported" in cli("import", "gdelt", "--quiet", str(GDELT)).output

    def test_report_counts_unmapped_codes_and_actors(self, cli: Cli) -> None:
        """The end-of-import report counts every row it could not map or chose to skip."""
        report = _json(cli("import", "gdelt", "--quiet", "--json", str(GDELT)))
        assert report["rows"] == 20
        assert report["unmapped"] == {
            "actors": {"PAKTAL": 1, "RUSOPP": 1, "USABUS": 1},
            "event codes": {"0211": 1, "042": 1},
        }
        assert report["skipped"] == {
            "repeated GLOBALEVENTID": 2,
            "CAMEO 1722 toward a state": 1,
            "missing actor code": 1,
            "same entity on both sides": 1,
        }
        skipped = report["skipped"]
        unmapped = report["unmapped"]
        assert isinstance(skipped, dict) and isinstance(unmapped, dict)
        accounted = sum(skipped.values()) + sum(sum(c.values()) for c in unmapped.values())
        assert report["events"] == 10 and accounted + 10 == 20  # no row silently dropped
        text = cli("import", "gdelt", "--quiet", str(GDELT)).output
        assert "unmapped event codes: 2 rows with 2 codes: 0211 x1, 042 x1" in text
        assert "unmapped actors: 3 rows with 3 codes" in text

    def test_filters(self, store: Store) -> None:
        """--root-only, --min-sources and --min-articles skip rows, and say how many."""
        options = gdelt.Options(min_sources=2, min_articles=5, root_only=True)
        report = gdelt.import_files(store, [GDELT], options, quiet=True)
        assert report.skipped["not a root event (--root-only)"] == 1
        assert report.skipped["fewer than 2 sources (--min-sources)"] == 5
        assert report.skipped["fewer than 5 articles (--min-articles)"] == 3
        assert report.added == 7

    def test_declares_missing_entities_only(self, seeded: Store) -> None:
        """Non-state entities are declared when absent; a curated declaration is kept."""
        before = {e.id: e for e in seeded.entities()}
        report = gdelt.import_files(seeded, [GDELT], quiet=True)
        assert report.declared == ("UN",)
        after = {e.id: e for e in seeded.entities()}
        assert after["TALIBAN"] == before["TALIBAN"]
        assert after["UN"].kind == "organization"

    def test_zipped_export_reads_like_the_plain_one(self, store: Store, tmp_path: Path) -> None:
        """A zipped export, as GDELT publishes it, yields the same events as the plain file."""
        archive = tmp_path / "20250712000000.export.CSV.zip"
        with zipfile.ZipFile(archive, "w") as out:
            out.write(GDELT, GDELT.name)
        zipped = gdelt.import_files(store, [archive], quiet=True)
        plain = gdelt.import_files(store, [GDELT], quiet=True)
        assert zipped.added == 10 and plain.added == 0 and plain.present == 10

    def test_category_mappings(self, store: Store) -> None:
        """161 severs relations both ways, 163 sanctions, 166 expels, 0812 removes a ban."""
        gdelt.import_files(store, [GDELT], quiet=True)
        on = "2025-07-31"
        ukr = state(store, "RUS", "UKR", on).dimensions["relations"]
        assert ukr.value == "severed"
        usa = state(store, "USA", "TALIBAN", on).dimensions["sanctions"]
        assert usa.value == frozenset()  # imposed on 07-05, eased on 07-06 (085)
        assert state(store, "UN", "TALIBAN", on).dimensions["sanctions"].value == frozenset(
            {"economic_sanctions"}
        )
        assert state(store, "DEU", "RUS", on).dimensions["envoy_received"].events
        types = {r.event.type for r in store.scan()}
        assert {"designation_removed", "cooperation_agreed", "envoy_expelled"} <= types


class TestGdeltMalformed:
    """A malformed row aborts the whole import with one line naming the file and line."""

    def _variant(self, tmp_path: Path, line: int, change: dict[int, str]) -> Path:
        rows = GDELT.read_text(encoding="utf-8").splitlines()
        fields = rows[line - 1].split("\t")
        for index, value in change.items():
            fields[index] = value
        rows[line - 1] = "\t".join(v for v in fields if v != "<drop>")
        path = tmp_path / "bad.export.CSV"
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
        return path

    def test_wrong_column_count(self, cli: Cli, tmp_path: Path) -> None:
        """A row with 60 columns stops the import; nothing is written."""
        bad = self._variant(tmp_path, 7, {40: "<drop>"})
        result = cli("import", "gdelt", "--quiet", str(GDELT), str(bad))
        assert result.exit_code == 1
        assert result.output.strip().splitlines() == [
            f"error: {bad}:7: expected 61 tab-separated columns (GDELT 2.0 event export), found 60"
        ]
        with Store(cli.db) as store:
            assert store.count() == 0

    def test_bad_date(self, tmp_path: Path, store: Store) -> None:
        """An impossible SQLDATE is reported with its file and line."""
        bad = self._variant(tmp_path, 3, {1: "20251341"})
        with pytest.raises(LedgerError) as caught:
            gdelt.import_files(store, [bad], quiet=True)
        assert (caught.value.path, caught.value.line) == (str(bad), 3)
        assert "SQLDATE '20251341'" in caught.value.reason
        assert store.count() == 0

    def test_missing_file(self, cli: Cli, tmp_path: Path) -> None:
        """A file that cannot be read is a one-line error for either importer."""
        for source in ("gdelt", "cow"):
            result = cli("import", source, "--quiet", str(tmp_path / "absent.csv"))
            assert result.exit_code == 1
            assert result.output.startswith(f"error: {tmp_path / 'absent.csv'}: cannot read")


class TestCowMapping:
    """COW country codes to ISO codes, checked against COW's own list."""

    @pytest.mark.parametrize(("key", "expected"), sorted(COW_STATES.items()))
    def test_fixture_codes(self, key: tuple[int, int], expected: str | None) -> None:
        """Each code in the fixture maps to the ISO code of COW's state in that year."""
        assert cow.iso_code(*key) == expected

    def test_overrides_are_needed(self) -> None:
        """The override table corrects codes where country_converter's table differs."""
        table = cow.converter_table()
        assert table[315] == "CZE" and cow.iso_code(315, 1990) == "CSK"
        assert table[817] == "VNM" and cow.iso_code(817, 1975) is None
        assert table[970] == "KIR" and cow.iso_code(970, 2000) == "NRU"
        assert 255 not in table and cow.iso_code(255, 2000) == "DEU"


class TestCowImport:
    """`tracker import cow` on the fixture file."""

    def test_level_change_is_dated_by_the_snapshot_window(self, cli: Cli) -> None:
        """0 in 1990 and 3 in 1995: uncertain on 1993-06-01, ambassador on 1996-01-01."""
        assert cli("import", "cow", "--quiet", str(COW)).exit_code == 0
        for actor, counterpart in (("CHN", "KOR"), ("KOR", "CHN")):
            middle = _json(cli("state", actor, counterpart, "--on", "1993-06-01", "--json"))
            after = _json(cli("state", actor, counterpart, "--on", "1996-01-01", "--json"))
            envoy = middle["dimensions"]["envoy_sent"]  # type: ignore[index]
            assert envoy["value"] == "none" and envoy["uncertain"] is True
            assert envoy["possible"] == ["none", "ambassador"]
            settled = after["dimensions"]["envoy_sent"]  # type: ignore[index]
            assert settled["value"] == "ambassador" and settled["uncertain"] is False
            (event,) = after["events"].values()  # type: ignore[attr-defined]
            assert event["on"] == "1990/1995"

    def test_direction_of_dr_at_1_and_dr_at_2(self, store: Store) -> None:
        """DR_at_1 is country 2's envoy at country 1; DR_at_2 country 1's at country 2."""
        cow.import_files(store, [COW], quiet=True)
        # 700 AFG, 770 PAK: DR_at_1 (PAK at AFG) 2 in 1990; DR_at_2 (AFG at PAK) 1 in 1990.
        assert state(store, "PAK", "AFG", "1991-01-01").dimensions["envoy_sent"].value == "minister"
        assert (
            state(store, "AFG", "PAK", "1991-01-01").dimensions["envoy_sent"].value
            == "charge_d_affaires"
        )
        # AFG's level falls to 0 in 2000: a recall dated 1995/2000.
        recalled = [r.event for r in store.scan() if isinstance(r.event, EnvoyRecalled)]
        assert [(e.actor, e.counterpart, e.on) for e in recalled] == [("AFG", "PAK", "1995/2000")]
        # PAK's 1995 level is missing (-9): its change spans 1990/2000.
        sent = {
            (e.actor, e.counterpart, e.on)
            for r in store.scan()
            if isinstance(e := r.event, EnvoySent)
        }
        assert ("PAK", "AFG", "1990/2000") in sent

    def test_level_nine_and_state_successions(self, store: Store) -> None:
        """Level 9 is `other`; the USSR's dyads are SUN's, Russia's start in 1990/1995."""
        cow.import_files(store, [COW], quiet=True)
        assert state(store, "CUB", "USA", "1990-06-01").dimensions["envoy_sent"].value == "other"
        assert (
            state(store, "USA", "SUN", "1986-01-01").dimensions["envoy_sent"].value == "ambassador"
        )
        russia = state(store, "USA", "RUS", "1993-01-01").dimensions["envoy_sent"]
        assert russia.uncertain and russia.possible == ("none", "ambassador")
        assert (
            state(store, "USA", "CZE", "1996-01-01").dimensions["envoy_sent"].value == "ambassador"
        )

    def test_report_and_idempotence(self, cli: Cli) -> None:
        """Unmapped codes, unknown levels and missing values are counted; reimport adds nothing."""
        first = _json(cli("import", "cow", "--quiet", "--json", str(COW)))
        assert first["rows"] == 36 and first["added"] == first["events"] == 24
        assert first["unmapped"] == {"COW country codes": {"817": 1}, "levels": {"7": 1}}
        assert first["skipped"] == {"missing level (-9)": 1}
        second = _json(cli("import", "cow", "--quiet", "--json", str(COW)))
        assert second["added"] == 0 and second["already_present"] == 24

    def test_sources_name_the_rows(self, store: Store) -> None:
        """Each event cites the data set, version and the snapshots it was read from."""
        cow.import_files(store, [COW], quiet=True)
        (event,) = [
            r.event for r in store.scan() if (r.event.actor, r.event.counterpart) == ("CHN", "KOR")
        ]
        (source,) = event.sources
        assert source.title == "Diplomatic Exchange data set, v2006.1"
        assert source.publisher == "Correlates of War Project"
        assert source.locator == (
            "1990: DR_at_2=0 (ccode1 710, ccode2 732); 1995: DR_at_2=3 (ccode1 710, ccode2 732)"
        )

    def test_malformed_rows_abort(self, cli: Cli, tmp_path: Path) -> None:
        """A bad header or a non-numeric level stops the import with the file and line."""
        bad = tmp_path / "bad.csv"
        bad.write_text(COW.read_text().replace("2,40,1990,9,9", "2,40,1990,x,9"))
        result = cli("import", "cow", "--quiet", str(bad))
        assert result.exit_code == 1
        assert result.output.strip() == f"error: {bad}:9: DR_at_1 'x' is not a whole number"
        header = tmp_path / "header.csv"
        header.write_text("a,b,c\n1,2,3\n")
        result = cli("import", "cow", "--quiet", str(header))
        assert result.exit_code == 1 and f"{header}:1: not a COW Diplomatic" in result.output
