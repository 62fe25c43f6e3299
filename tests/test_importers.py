"""The GDELT importer and the reading every importer shares: mapping, buckets, evidence,
idempotence, and malformed or hostile files refused in one line (the COW importers are in
test_cow.py)."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import pytest

from tests.conftest import Cli
from tracker.entities import Entity
from tracker.errors import LedgerError
from tracker.importers import gdelt, reading
from tracker.query import state
from tracker.store import Store

FIXTURES = Path(__file__).parent / "fixtures"
GDELT = FIXTURES / "20250712000000.export.CSV"


def _json(result: object) -> dict[str, object]:
    output = getattr(result, "output", "")
    data = json.loads(output)
    assert isinstance(data, dict)
    return data


def _variant(tmp_path: Path, line: int, change: dict[int, str], name: str = "bad") -> Path:
    """The fixture with some fields of one line replaced ("<drop>" drops the field)."""
    rows = GDELT.read_text(encoding="utf-8").splitlines()
    fields = rows[line - 1].split("\t")
    for index, value in change.items():
        fields[index] = value
    rows[line - 1] = "\t".join(v for v in fields if v != "<drop>")
    path = tmp_path / f"{name}.export.CSV"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


class TestGdeltMapping:
    """The documented CAMEO tables: event codes and actors."""

    @pytest.mark.parametrize("code", ["54", "0054", "+54", "054 "])
    def test_codes_are_matched_as_text(self, store: Store, tmp_path: Path, code: str) -> None:
        """A row's EventCode is looked up as written: 54 or 0054 is not CAMEO 054."""
        path = _variant(tmp_path, 1, {gdelt.EVENT_CODE: code})  # RUSGOV -> TAL, 054
        report = gdelt.import_files(store, [path], quiet=True)
        assert report.codes["event codes"][code] == 1
        assert "recognition_granted" not in {r.type for r in store.scan()}  # its only 054 row

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
        data = _json(cli("state", "RUS", "TALIBAN", "--on", "2025-07-04", "--json"))
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

    def test_events_are_machine_coded(self, store: Store) -> None:
        """Every imported event has evidence "machine", and its note gives the CAMEO code and
        the row's sources, articles and root flag."""
        gdelt.import_files(store, [GDELT], quiet=True)
        found = [record.event for record in store.scan()]
        assert found and all(e.evidence == "machine" for e in found)
        assert all(r.machine_coded for r in store.scan())
        chad = next(e for e in found if (e.actor, e.counterpart) == ("TCD", "ISR"))
        assert chad.note == (
            "machine-coded (GDELT): CAMEO 161 Reduce or break diplomatic relations; "
            "Actor1Code TCDGOV, Actor2Code ISRGOV; 1 source, 1 article, a root event"
        )

    def test_importing_twice_adds_nothing(self, cli: Cli) -> None:
        """Ids are content hashes: a second import adds no event, and its rows are "already
        present" instead of "imported"."""
        first = _json(cli("import", "gdelt", "--quiet", "--json", str(GDELT)))
        second = _json(cli("import", "gdelt", "--quiet", "--json", str(GDELT)))
        assert first["added"] == 11 and first["already_present"] == 0
        assert second["added"] == 0 and second["already_present"] == 11
        assert first["buckets"]["imported"] == 11  # type: ignore[index]
        assert second["buckets"]["already present"] == 11  # type: ignore[index]
        assert "imported" not in second["buckets"]  # type: ignore[operator]
        assert "already imported" in cli("import", "gdelt", "--quiet", str(GDELT)).output

    def test_every_row_in_one_bucket(self, cli: Cli) -> None:
        """The buckets add up to the rows read; a row with two unmapped actors is one row
        (both its codes are listed)."""
        report = _json(cli("import", "gdelt", "--quiet", "--json", str(GDELT)))
        assert report["rows"] == 22
        assert report["buckets"] == {
            "imported": 11,
            "unmapped: with an actor not in the table": 4,
            "skipped: repeated GLOBALEVENTID": 2,
            "unmapped: with an event code not in the table": 2,
            "skipped: CAMEO 1722 toward a state": 1,
            "skipped: missing actor code": 1,
            "skipped: same entity on both sides": 1,
        }
        buckets = report["buckets"]
        assert isinstance(buckets, dict) and sum(buckets.values()) == report["rows"]
        assert report["unmapped_codes"] == {
            "actor codes": {"RUSOPP": 2, "USABUS": 2, "PAKTAL": 1},
            "event codes": {"0211": 1, "042": 1},
        }
        text = cli("import", "gdelt", "--quiet", str(GDELT)).output
        assert "  6 unmapped: 4 with an actor not in the table" in text
        assert "unmapped actor codes: RUSOPP x2, USABUS x2, PAKTAL x1" in text

    def test_filters_say_how_many_rows_each_removed(self, store: Store) -> None:
        """--root-only, --min-sources and --min-articles each have a bucket, and the buckets
        still add up."""
        options = gdelt.Options(min_sources=2, min_articles=5, root_only=True)
        report = gdelt.import_files(store, [GDELT], options, quiet=True)
        assert report.buckets["skipped: not a root event (--root-only)"] == 1
        assert report.buckets["skipped: fewer than 2 sources (--min-sources)"] == 6
        assert report.buckets["skipped: fewer than 5 articles (--min-articles)"] == 4
        assert report.added == 7
        assert sum(report.buckets.values()) == report.rows == 22

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
        assert zipped.added == 11 and plain.added == 0 and plain.present == 11

    def test_category_mappings(self, store: Store) -> None:
        """161 severs relations both ways, 163 sanctions, 166 expels, 0812 removes a ban."""
        gdelt.import_files(store, [GDELT], quiet=True)
        on = "2025-07-31"
        assert state(store, "RUS", "UKR", on).dimensions["relations"].value == "severed"
        usa = state(store, "USA", "TALIBAN", on).dimensions["sanctions"]
        assert usa.value == frozenset()  # imposed on 07-05, eased on 07-06 (085)
        assert state(store, "UN", "TALIBAN", on).dimensions["sanctions"].value == frozenset(
            {"economic_sanctions"}
        )
        assert state(store, "DEU", "RUS", on).dimensions["envoy_received"].events
        types = {r.event.type for r in store.scan()}
        assert {"designation_removed", "cooperation_agreed", "envoy_expelled"} <= types


class TestMachineCodedAnswers:
    """An answer that rests only on machine-coded events says so; --curated-only drops it."""

    def test_state_marks_and_curated_only_drops(self, cli: Cli) -> None:
        """Chad's `severed` from one GDELT row is marked in JSON and in the table, and gone
        when asked of curated events only."""
        cli("import", "gdelt", "--quiet", str(GDELT))
        data = _json(cli("state", "TCD", "ISR", "--on", "2025-07-12", "--json"))
        relations = data["dimensions"]["relations"]  # type: ignore[index]
        assert relations["value"] == "severed" and relations["machine_coded"] is True
        table = cli("state", "TCD", "ISR", "--on", "2025-07-12").output
        assert "severed *" in table and "rests only on machine-coded events" in table
        curated = _json(
            cli("state", "TCD", "ISR", "--on", "2025-07-12", "--curated-only", "--json")
        )
        assert curated["curated_only"] is True
        assert curated["dimensions"]["relations"]["value"] == "none"  # type: ignore[index]

    def test_who_and_first_mark_and_drop(self, cli: Cli) -> None:
        """who lists a machine-coded match under machine_coded, first marks it, and neither
        finds it with --curated-only."""
        cli("import", "gdelt", "--quiet", str(GDELT))
        where = ("--where", "relations=severed", "--on", "2025-07-12")
        found = _json(cli("who", "ISR", *where, "--json"))
        assert found["actors"] == ["TCD"] and found["machine_coded"] == ["TCD"]
        assert "TCD *" in cli("who", "ISR", *where).output
        assert _json(cli("who", "ISR", *where, "--curated-only", "--json"))["actors"] == []
        first = _json(cli("first", "ISR", "--where", "relations=severed", "--json"))
        assert first["actor"] == "TCD" and first["machine_coded"] is True
        dropped = _json(
            cli("first", "ISR", "--where", "relations=severed", "--curated-only", "--json")
        )
        assert dropped["actor"] is None

    def test_events_of_the_earlier_importer_are_machine_coded(
        self, cli: Cli, tmp_path: Path
    ) -> None:
        """An event the GDELT importer stored before `evidence` existed (known by its note) is
        machine-coded too: it never passes for a curated fact."""
        ledger = tmp_path / "old.jsonl"
        ledger.write_text(
            '{"type": "relations_severed", "actor": "TCD", "counterpart": "ISR", '
            '"on": "2025-07-10", "note": "machine-coded (GDELT): CAMEO 161", "sources": '
            '[{"title": "GDELT", "publisher": "The GDELT Project", "date": "2025-07-10"}]}\n',
            encoding="utf-8",
        )
        assert cli("load", "--quiet", str(ledger)).exit_code == 0
        data = _json(cli("state", "TCD", "ISR", "--on", "2025-07-12", "--json"))
        assert data["dimensions"]["relations"]["machine_coded"] is True  # type: ignore[index]

    def test_a_curated_event_beside_it_is_not_marked(self, cli: Cli, tmp_path: Path) -> None:
        """A value that a curated event also stands behind is not machine-coded only."""
        cli("import", "gdelt", "--quiet", str(GDELT))
        ledger = tmp_path / "chad.toml"
        ledger.write_text(
            '[[event]]\ntype = "relations_severed"\nactor = "TCD"\ncounterpart = "ISR"\n'
            'on = "2025-07-10"\nsources = [{ title = "Report", publisher = "Desk", '
            'date = "2025-07-11" }]\n',
            encoding="utf-8",
        )
        assert cli("load", "--quiet", str(ledger)).exit_code == 0
        data = _json(cli("state", "TCD", "ISR", "--on", "2025-07-12", "--json"))
        assert data["dimensions"]["relations"]["machine_coded"] is False  # type: ignore[index]


def _one_line_refusal(cli: Cli, path: Path, line: int | None, reason: str) -> None:
    """The import exits 1 with one line naming the file (and line) and the reason; nothing
    is written."""
    result = cli("import", "gdelt", "--quiet", str(path))
    assert result.exit_code == 1, result.output
    where = f"{path}:{line}" if line is not None else str(path)
    (message,) = result.output.strip().splitlines()
    assert message.startswith(f"error: {where}: "), message
    assert reason in message, message
    assert "Traceback" not in result.output
    with Store(cli.db) as store:
        assert store.count() == 0


class TestGdeltMalformed:
    """A malformed row aborts the whole import with one line naming the file and line."""

    def test_wrong_column_count(self, cli: Cli, tmp_path: Path) -> None:
        """A row with 60 columns stops the import; nothing is written."""
        bad = _variant(tmp_path, 7, {40: "<drop>"})
        result = cli("import", "gdelt", "--quiet", str(GDELT), str(bad))
        assert result.exit_code == 1
        assert result.output.strip().splitlines() == [
            f"error: {bad}:7: expected 61 tab-separated columns (GDELT 2.0 event export), found 60"
        ]

    def test_bad_date(self, tmp_path: Path, store: Store) -> None:
        """An impossible SQLDATE is reported with its file and line."""
        bad = _variant(tmp_path, 3, {1: "20251341"})
        with pytest.raises(LedgerError) as caught:
            gdelt.import_files(store, [bad], quiet=True)
        assert (caught.value.path, caught.value.line) == (str(bad), 3)
        assert "SQLDATE '20251341'" in caught.value.reason
        assert store.count() == 0

    @pytest.mark.parametrize(
        ("column", "value", "reason"),
        [
            (gdelt.NUM_SOURCES, "\u00b2", "NumSources '²' is not a whole number"),
            (gdelt.NUM_SOURCES, "\u0663", "NumSources '٣' is not a whole number"),
            (gdelt.NUM_ARTICLES, "+2", "NumArticles '+2' is not a whole number"),
            (gdelt.NUM_ARTICLES, "1_0", "NumArticles '1_0' is not a whole number"),
            (gdelt.SQLDATE, "20250703junk", "SQLDATE '20250703junk' is not a date"),
            (gdelt.SQLDATE, "\uff12\uff10\uff12\uff15\uff10\uff17\uff10\uff13", "is not a date"),
            (gdelt.DATEADDED, "2025070314150", "DATEADDED '2025070314150' is not a date"),
            (gdelt.DATEADDED, "20250703251500", "no such time of day"),
            (gdelt.GLOBALEVENTID, "\uff11\uff12\uff13", "is not a number"),
            (gdelt.IS_ROOT, "2", "IsRootEvent '2' is not 0 or 1"),
            (gdelt.SOURCEURL, "https://x.example/\x00a", "NUL character"),
            (gdelt.SOURCEURL, "https://x.example/\x1b]0;x\x07", "SOURCEURL holds a control"),
            (gdelt.SOURCEURL, "https://x.example/" + "a" * 20_000, "SOURCEURL is longer than"),
            (gdelt.ACTOR1[0], "RUS\x1bGOV", "actor codes holds a control character"),
            (gdelt.ACTOR1[0], "RUS" * 30, "actor codes is longer than 64 characters"),
        ],
    )
    def test_hostile_fields(
        self, cli: Cli, tmp_path: Path, column: int, value: str, reason: str
    ) -> None:
        """Non-ASCII digits, trailing junk, bad times, control characters, overlong or NUL
        text: each is one line naming file and line, exit 1, nothing written."""
        _one_line_refusal(cli, _variant(tmp_path, 4, {column: value}), 4, reason)

    def test_invalid_utf8_is_refused_not_replaced(self, cli: Cli, tmp_path: Path) -> None:
        """A byte that is not UTF-8 is refused at its line, never read as U+FFFD."""
        rows = GDELT.read_bytes().split(b"\n")
        rows[4] = rows[4].replace(b"https://", b"https://\xff", 1)
        bad = tmp_path / "latin.export.CSV"
        bad.write_bytes(b"\n".join(rows))
        _one_line_refusal(cli, bad, 5, "not UTF-8 text")

    def test_missing_file(self, cli: Cli, tmp_path: Path) -> None:
        """A file that cannot be read is a one-line error for every importer."""
        absent = tmp_path / "absent.csv"
        for args in (["gdelt"], ["cow", "--states", str(absent)], ["cow-states"]):
            result = cli("import", *args, "--quiet", str(absent))
            assert result.exit_code == 1
            assert result.output.startswith(f"error: {absent}: cannot read"), result.output

    @pytest.mark.parametrize("kind", ["fifo", "device"])
    def test_not_a_regular_file(self, cli: Cli, tmp_path: Path, kind: str) -> None:
        """A FIFO or /dev/zero is refused before anything is read (it would block or never
        end)."""
        if kind == "fifo":
            path = tmp_path / "pipe.csv"
            os.mkfifo(path)
        else:
            path = Path("/dev/zero")
        result = cli("import", "gdelt", "--quiet", str(path))
        assert result.exit_code == 1 and "not a regular file" in result.output, result.output

    def test_a_directory_is_not_read(self, store: Store, tmp_path: Path) -> None:
        """A directory given to the library is refused as not a regular file."""
        folder = tmp_path / "folder.csv"
        folder.mkdir()
        with pytest.raises(LedgerError, match="not a regular file"):
            gdelt.import_files(store, [folder], quiet=True)

    def test_wrong_extension_is_refused_before_reading(self, cli: Cli, tmp_path: Path) -> None:
        """A file without the format's extension is refused without being opened."""
        path = tmp_path / "export.txt"
        path.write_bytes(GDELT.read_bytes())
        result = cli("import", "gdelt", "--quiet", str(path))
        assert result.exit_code == 1 and "not a file of this format" in result.output

    def test_zips_that_are_not_exports(self, cli: Cli, tmp_path: Path) -> None:
        """A .zip that is no zip, one with no CSV inside, or a damaged member: one line each."""
        fake = tmp_path / "fake.export.CSV.zip"
        fake.write_bytes(b"not a zip at all")
        _one_line_refusal(cli, fake, None, "not a zip file")
        empty = tmp_path / "empty.zip"
        with zipfile.ZipFile(empty, "w") as out:
            out.writestr("notes.txt", "nothing here")
        _one_line_refusal(cli, empty, None, "no .csv file in the zip")
        damaged = tmp_path / "damaged.zip"
        with zipfile.ZipFile(damaged, "w", compression=zipfile.ZIP_DEFLATED) as out:
            out.writestr("x.export.CSV", GDELT.read_bytes() * 20)
        data = bytearray(damaged.read_bytes())
        data[100:140] = bytes(40)  # inside the compressed member
        damaged.write_bytes(bytes(data))
        result = cli("import", "gdelt", "--quiet", str(damaged))
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert result.output.startswith(f"error: {damaged}"), result.output


class TestBoundedReading:
    """Published files are read as streams, with caps: a huge line is refused at the cap."""

    class _Counted(io.RawIOBase):
        """A stream of 64 MiB of one byte, no line break, that counts how much was read."""

        def __init__(self) -> None:
            self.read_so_far = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
            size = min(len(buffer), (64 << 20) - self.read_so_far)
            buffer[:size] = b"a" * size
            self.read_so_far += size
            return size

    def test_a_line_without_end_is_refused_at_the_cap(self) -> None:
        """A line without end is refused once it passes the cap, after reading no more than
        the cap and a chunk or two, not the whole stream."""
        raw = self._Counted()
        with pytest.raises(LedgerError) as caught:
            list(reading.lines("endless", io.BufferedReader(raw), max_line=1 << 16))
        assert caught.value.line == 1 and "line longer than 65536 bytes" in caught.value.reason
        assert raw.read_so_far <= (1 << 16) + 2 * reading.CHUNK

    def test_a_zip_of_one_huge_line(self, cli: Cli, tmp_path: Path) -> None:
        """A small zip holding a line longer than the cap is refused, naming the member."""
        bomb = tmp_path / "bomb.export.CSV.zip"
        with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as out:
            out.writestr("bomb.export.CSV", b"1" * (gdelt.MAX_LINE + 10))
        assert bomb.stat().st_size < 10_000
        result = cli("import", "gdelt", "--quiet", str(bomb))
        assert result.exit_code == 1
        assert result.output.strip() == (
            f"error: {bomb}:bomb.export.CSV:1: line longer than {gdelt.MAX_LINE} bytes"
        )

    def test_total_size_is_capped(
        self, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """More bytes than the cap, in lines of any length, are refused too."""
        monkeypatch.setattr(reading, "MAX_TOTAL", 1000)
        result = cli("import", "gdelt", "--quiet", str(GDELT))
        assert result.exit_code == 1 and "more than 1000 bytes" in result.output
