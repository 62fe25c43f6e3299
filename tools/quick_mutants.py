"""Check mutmut's mutants quickly: each against an ordered set of fast, sharp test files first
(stopping at the first failure), and only the survivors against the rest of the selection.

mutmut 3 runs each mutant against every test that reaches its function, in no useful order;
for the store's append path that is every store test, and a mutant that a later test kills
costs minutes (a hypothesis failure is shrunk before the run stops). This runs the mutants
mutmut generated (in `mutants/`, after one `mutmut run`, even interrupted) the same way mutmut
does, by naming the mutant in MUTANT_UNDER_TEST, with the `mutmut` hypothesis profile
(derandomized, no shrinking).

    python tools/quick_mutants.py NAMES_FILE OUT.json [--jobs 2]

NAMES_FILE holds one mutant name a line (`mutmut results --all true` lists them). Verdicts
go to OUT.json as they come (a rerun skips the names already there): killed, timeout (a run
over the limit: look at the mutant, a hang is a kill, slowness is not) or survived, with the
first failing test; "error" is neither (pytest could not run: read its output). Survivors of
the quick set are then run against the rest of the `[tool.mutmut]` selection (both workers,
-n 2).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# Fast files that reach the store's append path and check what it writes, quickest first.
QUICK = [
    "tests/test_load_fast.py",
    "tests/test_strict.py",
    "tests/test_dyad_index.py",
    "tests/test_verify.py",
    "tests/test_schema.py",
    "tests/test_world.py",
    "tests/test_known_at.py",
    "tests/test_mirror.py",
    "tests/test_ties.py",
    "tests/test_query.py",
    "tests/test_replay.py",
    "tests/test_bitemporal.py",
    "tests/test_tamper.py",
    "tests/test_bulk.py",
    "tests/test_store.py",
]


def selection() -> list[str]:
    """The test files of `[tool.mutmut]`."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return list(config["tool"]["mutmut"]["pytest_add_cli_args_test_selection"])


def run(name: str, tests: list[str], workers: str, limit: float) -> dict[str, Any]:
    """One mutant against `tests`, stopping at the first failure."""
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider"]
    started = time.monotonic()
    try:
        done = subprocess.run(
            [*command, "-n", workers, *tests],
            cwd=ROOT / "mutants",
            env={**os.environ, "MUTANT_UNDER_TEST": name},
            capture_output=True,
            text=True,
            timeout=limit,
        )
    except subprocess.TimeoutExpired:
        verdict, failed = "timeout", []
    else:
        failed = [line for line in done.stdout.splitlines() if line.startswith("FAILED")][:1]
        # with workers, -x stops the others and pytest says "interrupted" (exit 2)
        killed = done.returncode == 1 or (done.returncode == 2 and bool(failed))
        verdict = "killed" if killed else {0: "survived"}.get(done.returncode, "error")
    seconds = round(time.monotonic() - started, 1)
    return {"verdict": verdict, "seconds": seconds, "failed": failed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--limit", type=float, default=150.0, help="seconds a run may take")
    args = parser.parse_args()
    if not (ROOT / "mutants").is_dir():
        sys.exit("no mutants/ here yet: run `mutmut run` once (it may be interrupted)")
    names = [line.strip() for line in args.names.read_text().splitlines() if line.strip()]
    found = json.loads(args.out.read_text()) if args.out.exists() else {}
    rest = [t for t in selection() if t not in QUICK]

    def record(name: str, stage: str, result: dict[str, Any]) -> None:
        found[name] = {"stage": stage, **result}
        args.out.write_text(json.dumps(found, indent=1))
        print(name, stage, result["verdict"], result["seconds"], *result["failed"], flush=True)

    todo = [n for n in names if n not in found]
    with ThreadPoolExecutor(args.jobs) as pool:
        for name, result in zip(
            todo, pool.map(lambda n: run(n, QUICK, "0", args.limit), todo), strict=True
        ):
            record(name, "quick", result)
    for name in names:
        if found[name]["stage"] == "quick" and found[name]["verdict"] == "survived":
            record(name, "rest", run(name, rest, str(args.jobs), args.limit * 2))


if __name__ == "__main__":
    main()
