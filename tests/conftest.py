"""Shared fixtures and the hypothesis profiles: a fast `dev` one and a thorough `ci` one."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, Phase, settings

from tracker.cli import main, seed_files
from tracker.loading import load
from tracker.store import Store

settings.register_profile("dev", max_examples=30, deadline=None)
settings.register_profile(
    "ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
# Mutation testing (mutmut sets MUTANT_UNDER_TEST) runs the tests many times in one process and
# must give the same verdict each time: the dev profile's size, derandomized, no database, and
# no shrinking (a failing example is a kill already; making it smaller took minutes a mutant).
# Health checks a test with its own suppress list must add too: mutmut runs each test more
# than once in one process, which hypothesis would otherwise report.
RERUN = (HealthCheck.differing_executors,) if "MUTANT_UNDER_TEST" in os.environ else ()
settings.register_profile(
    "mutmut",
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # a failure kills: no shrinking
    suppress_health_check=[HealthCheck.differing_executors, HealthCheck.too_slow],
)


def _profile() -> str:
    if os.environ.get("HYPOTHESIS_PROFILE"):
        return os.environ["HYPOTHESIS_PROFILE"]
    if "MUTANT_UNDER_TEST" in os.environ:
        return "mutmut"
    return "ci" if os.environ.get("CI") else "dev"


settings.load_profile(_profile())

CLOCK = "2026-01-01T00:00:00Z"


def fixed_clock() -> str:
    """The injected transaction clock of test stores."""
    return CLOCK


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """An empty store on a temporary file, with a fixed clock."""
    with Store(tmp_path / "store.db", clock=fixed_clock) as opened:
        yield opened


@pytest.fixture
def seeded(store: Store) -> Store:
    """The store loaded with the bundled seed ledgers."""
    load(store, seed_files(), quiet=True)
    return store


class Cli:
    """Run the `tracker` command against one temporary database."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self.runner = CliRunner()

    def __call__(self, *args: str, env: dict[str, str] | None = None) -> Result:
        """Invoke `tracker --db DB --no-seed ARGS...` (a new database starts empty)."""
        return self.runner.invoke(main, ["--db", str(self.db), "--no-seed", *args], env=env)

    def bare(self, *args: str, env: dict[str, str] | None = None) -> Result:
        """Invoke `tracker ARGS...` without `--db`."""
        return self.runner.invoke(main, list(args), env=env)


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """A CLI runner bound to a fresh database file under tmp_path."""
    return Cli(tmp_path / "cli.db")


@pytest.fixture
def seeded_cli(cli: Cli) -> Cli:
    """A CLI runner whose database holds the seed ledgers."""
    result = cli("load", "--quiet", *(str(p) for p in seed_files()))
    assert result.exit_code == 0, result.output
    return cli


if "MUTANT_UNDER_TEST" in os.environ:

    @pytest.fixture(autouse=True)
    def _cold_caches() -> None:
        """Empty the core's memo caches before each test under mutation testing, so that every
        test reaches the functions it uses (mutmut picks the tests to run by who reached what)."""
        from tracker import dates, projection, reducers, verify

        for module in (dates, projection, reducers, verify):
            for value in vars(module).values():
                clear = getattr(value, "cache_clear", None)
                if callable(clear):
                    clear()
