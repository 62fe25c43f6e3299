"""`tracker plot`: the numbers behind each picture match the queries; real images are written."""

from __future__ import annotations

import csv
import datetime as dt
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import Cli
from tracker.loading import load
from tracker.plot import count_series, draw_count, dyad_series
from tracker.query import state, who
from tracker.reducers import encode
from tracker.store import Store

FIXTURES = Path(__file__).parent / "fixtures"
TAIWAN = FIXTURES / "taiwan_recognition.toml"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _is_svg(path: Path) -> bool:
    return ET.parse(path).getroot().tag == "{http://www.w3.org/2000/svg}svg"


@pytest.fixture
def taiwan(store: Store) -> Store:
    """A store holding the small Taiwan-recognition fixture ledger."""
    load(store, [TAIWAN], quiet=True)
    return store


@pytest.fixture
def taiwan_cli(cli: Cli) -> Cli:
    """A CLI whose database holds the Taiwan-recognition fixture ledger."""
    assert cli("load", "--quiet", str(TAIWAN)).exit_code == 0
    return cli


class TestCount:
    """`tracker plot count` and `count_series`."""

    def test_png_and_data_match_who(self, taiwan_cli: Cli, tmp_path: Path) -> None:
        """The --data series is `tracker who` counted at each date, and the PNG is an image."""
        image, data = tmp_path / "count.png", tmp_path / "count.csv"
        result = taiwan_cli(
            "plot", "count", "TWN", "--where", "recognition=recognized",
            "--from", "2016-01-01", "--to", "2024-12-31", "-o", str(image), "--data", str(data),
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert image.read_bytes()[:8] == PNG_MAGIC
        rows = list(csv.DictReader(data.open()))
        for row in rows:
            asked = taiwan_cli(
                "who", "TWN", "--where", "recognition=recognized", "--on", row["date"], "--json"
            )
            answer = json.loads(asked.output)
            assert int(row["settled"]) == len(answer["actors"])
            assert int(row["uncertain"]) == len(answer["uncertain"])
            assert row["actors"].split() == answer["actors"]
        assert [(r["date"], r["settled"], r["uncertain"]) for r in rows] == [
            ("2016-01-01", "8", "0"),
            ("2016-12-01", "7", "1"),
            ("2016-12-31", "7", "0"),
            ("2017-06-13", "6", "0"),
            ("2018-05-01", "5", "0"),
            ("2018-08-21", "4", "0"),
            ("2021-12-01", "3", "1"),
            ("2021-12-31", "3", "0"),
            ("2023-03-01", "2", "1"),
            ("2023-03-31", "2", "0"),
        ]

    def test_series_is_exact_between_points(self, taiwan: Store) -> None:
        """Between two points the count does not change: `who` on any day agrees."""
        series = count_series(
            taiwan, "TWN", {"recognition": "recognized"}, "2016-01-01", "2024-12-31"
        )
        day = dt.date(2016, 1, 1)
        while day <= dt.date(2024, 12, 31):
            text = day.isoformat()
            point = [p for p in series.points if p.date <= text][-1]
            found = who(taiwan, "TWN", {"recognition": "recognized"}, text)
            assert (list(point.actors), list(point.uncertain)) == (found.actors, found.uncertain)
            day += dt.timedelta(days=17)

    def test_svg_and_json(self, taiwan: Store, tmp_path: Path) -> None:
        """An .svg file gets an SVG document; the JSON data carries the same points."""
        series = count_series(
            taiwan, "TWN", {"recognition": "recognized"}, "2016-01-01", "2024-12-31"
        )
        draw_count(series, tmp_path / "count.svg")
        assert _is_svg(tmp_path / "count.svg")
        assert series.to_json()["points"][0] == {
            "date": "2016-01-01",
            "settled": 8,
            "uncertain": 0,
            "actors": ["DOM", "GTM", "HND", "NIC", "PAN", "PRY", "SLV", "STP"],
            "uncertain_actors": [],
        }

    def test_default_start_is_the_first_change(self, taiwan_cli: Cli, tmp_path: Path) -> None:
        """Without --from, the series starts at the first day some answer changes."""
        data = tmp_path / "count.json"
        result = taiwan_cli(
            "plot", "count", "TWN", "--where", "recognition=recognized", "--to", "2024-12-31",
            "-o", str(tmp_path / "count.png"), "--data", str(data),
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert json.loads(data.read_text())["from"] == "2015-12-31"

    def test_bad_extensions_are_one_line_errors(self, taiwan_cli: Cli, tmp_path: Path) -> None:
        """A picture that is not .png/.svg, or data that is not .csv/.json, is refused."""
        result = taiwan_cli(
            "plot", "count", "TWN", "--where", "recognition=recognized",
            "-o", str(tmp_path / "count.jpg"),
        )  # fmt: skip
        assert result.exit_code == 1
        assert (
            result.output.strip()
            == f"error: {tmp_path / 'count.jpg'}: the picture must be a .png or .svg file"
        )
        result = taiwan_cli(
            "plot",
            "dyad",
            "PAN",
            "TWN",
            "-o",
            str(tmp_path / "d.png"),
            "--data",
            str(tmp_path / "d.txt"),
        )
        assert result.exit_code == 1 and "must go to a .csv or .json file" in result.output
        assert not (tmp_path / "d.png").exists()

    def test_bad_dates_are_one_line_errors(self, taiwan_cli: Cli, tmp_path: Path) -> None:
        """An impossible --from is reported in one line naming the option, not a traceback."""
        result = taiwan_cli(
            "plot", "count", "TWN", "--where", "recognition=recognized", "--from", "2016-13-01",
            "-o", str(tmp_path / "count.png"),
        )  # fmt: skip
        assert result.exit_code == 1
        assert result.output.strip() == "error: --from: '2016-13-01': month 13 does not exist"


class TestDyad:
    """`tracker plot dyad` and `dyad_series`."""

    def test_spans_match_state(self, seeded: Store) -> None:
        """Every span's value and uncertainty is what `state` answers on its first day."""
        series = dyad_series(seeded, "RUS", "TALIBAN")
        assert {s.dimension for s in series.spans} >= {"recognition", "designations", "stance"}
        for span in series.spans:
            found = state(seeded, "RUS", "TALIBAN", span.valid_from).dimensions[span.dimension]
            assert encode(found.value) == span.value
            assert found.uncertain == span.uncertain

    def test_marks_are_the_events_that_moved_the_dyad(self, seeded: Store) -> None:
        """Each mark is an event with its window and the dimensions it moved."""
        series = dyad_series(seeded, "RUS", "TALIBAN")
        added = [m for m in series.marks if m.type == "designation_added"]
        assert [(m.on, m.earliest, m.latest, m.dimensions) for m in added] == [
            ("2003", "2003-01-01", "2003-12-31", ("designations",))
        ]
        # the windowed removal was corrected by a dated one: only the standing event is marked
        assert [m.on for m in series.marks if m.type == "designation_removed"] == ["2025-04-17"]

    def test_png_svg_and_data(self, seeded_cli: Cli, tmp_path: Path) -> None:
        """PNG and SVG are written by extension, and --data writes the spans as CSV or JSON."""
        png, svg = tmp_path / "dyad.png", tmp_path / "dyad.svg"
        data = tmp_path / "dyad.json"
        result = seeded_cli("plot", "dyad", "RUS", "TALIBAN", "-o", str(png), "--data", str(data))
        assert result.exit_code == 0, result.output
        assert png.read_bytes()[:8] == PNG_MAGIC
        spans = json.loads(data.read_text())["spans"]
        recognition = [s for s in spans if s["dimension"] == "recognition"]
        assert recognition[0]["valid_from"] == "2025-07-03"
        assert recognition[0]["value"] == "recognized"
        table = tmp_path / "dyad.csv"
        result = seeded_cli(
            "plot", "dyad", "RUS", "TALIBAN", "--from", "2020-01-01", "--to", "2026-01-01",
            "-o", str(svg), "--data", str(table),
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert _is_svg(svg)
        assert len(list(csv.DictReader(table.open()))) == len(spans)

    def test_unknown_entity(self, seeded_cli: Cli, tmp_path: Path) -> None:
        """An unknown entity is a one-line error, as for every query."""
        result = seeded_cli("plot", "dyad", "RUS", "TALIBAM", "-o", str(tmp_path / "x.png"))
        assert result.exit_code == 1 and "unknown entity 'TALIBAM'" in result.output
