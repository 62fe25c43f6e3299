"""`tracker bench scale`: the cost per event at two sizes, judged against the linear target."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from tracker.bench.scaling import scale_rows
from tracker.cli import main


def figures(events: int, load_s: float, rebuild_s: float, rss: float) -> dict[str, object]:
    """A `tracker bench run --json` result holding only what the comparison reads."""
    return {
        "meta": {"events": events},
        "load": {"events": events, "seconds": load_s, "peak_rss_mb": rss},
        "rebuild": {"events": events, "seconds": rebuild_s, "peak_rss_mb": 40.0},
    }


def test_the_cost_per_event_is_compared_and_judged() -> None:
    """Microseconds per event at each size, their ratio, and the verdicts: a ratio of 1.25 is
    linear enough and 1.26 is not; peak memory of the larger run must stay under 300 MB."""
    rows = scale_rows(figures(1000, 1.0, 0.5, 90.0), figures(5000, 6.25, 3.15, 300.0))
    load, rebuild, load_rss, rebuild_rss = rows
    assert (load["small"], load["large"], load["ratio"], load["met"]) == (1000, 1250, 1.25, True)
    assert (rebuild["small"], rebuild["ratio"], rebuild["met"]) == (500, 1.26, False)
    assert (load_rss["large"], load_rss["met"], rebuild_rss["met"]) == (300.0, False, True)


def test_the_command_prints_the_table_and_refuses_other_files(tmp_path: Path) -> None:
    """`bench scale` prints both sizes and a MISSED verdict, and a file that is not a saved
    result gets one line naming it and a non-zero exit."""
    small, large, other = tmp_path / "1m.json", tmp_path / "5m.json", tmp_path / "x.json"
    small.write_text(json.dumps(figures(1000, 1.0, 0.5, 90.0)), encoding="utf-8")
    large.write_text(json.dumps(figures(5000, 9.0, 2.5, 120.0)), encoding="utf-8")
    other.write_text("[1, 2]", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(main, ["bench", "scale", str(small), str(large)])
    assert result.exit_code == 0, result.output
    assert "1,000 events" in result.output and "5,000 events" in result.output
    assert "1.80x" in result.output and "MISSED" in result.output
    refused = runner.invoke(main, ["bench", "scale", str(small), str(other)])
    assert refused.exit_code != 0 and "Traceback" not in refused.output
    assert f"{other}: not the JSON of `tracker bench run`" in refused.output
