"""The house holds to its picture (README "Layout"): what each layer may import, no circles,
no module over 500 lines. A small `ast` walk over the sources; nothing is imported or run."""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("events", "tracker")
MAX_LINES = 500

# The pure core: no database, no command line, no clock, no randomness, no files or processes.
PURE = (
    "tracker.dates",
    "tracker.reducers",
    "tracker.folds",
    "tracker.lifespans",
    "tracker.timeline",
)
IMPURE_MODULES = frozenset(
    {
        *("sqlite3", "sqlite_utils", "click", "time", "random", "secrets", "uuid", "logging"),
        *("os", "io", "pathlib", "shutil", "tempfile", "subprocess", "socket", "glob"),
    }
)
IMPURE_CALLS = frozenset({"open", "now", "today", "utcnow", "time", "perf_counter", "urandom"})
# The interfaces around the engine, which the engine never imports.
INTERFACES = ("tracker.cli", "tracker.bench", "tracker.plot", "tracker.serve", "tracker.__main__")


def modules(root: Path = ROOT) -> dict[str, Path]:
    """Every module of the two packages by dotted name (a package by its own name)."""
    found = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


Sources = dict[str, tuple[Path, str]]


def sources(root: Path = ROOT) -> Sources:
    """Every module's path and text, by dotted name."""
    return {name: (path, path.read_text(encoding="utf-8")) for name, path in modules(root).items()}


@functools.lru_cache(maxsize=256)
def _tree(text: str) -> ast.Module:
    return ast.parse(text)


def _resolve(name: str, path: Path, node: ast.ImportFrom, known: Sources) -> list[str]:
    """The modules a `from ... import ...` statement in module `name` reads."""
    if node.level:
        package = name.split(".")
        if path.name != "__init__.py":
            package = package[:-1]
        base = ".".join(package[: len(package) - node.level + 1])
        base = ".".join(filter(None, [base, node.module or ""]))
    else:
        base = node.module or ""
    targets = []
    for alias in node.names:
        child = f"{base}.{alias.name}"
        targets.append(child if child in known else base)  # a submodule, or a name in base
    return targets


def imports(name: str, path: Path, text: str, known: Sources) -> Iterator[tuple[str, int]]:
    """(imported module, line) for every import in a module, at any depth (lazy ones too)."""
    for node in ast.walk(_tree(text)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            for target in _resolve(name, path, node, known):
                yield target, node.lineno


def graph(known: Sources) -> dict[str, set[str]]:
    """Module -> the modules of the two packages it imports."""
    return {
        name: {t for t, _ in imports(name, path, text, known) if t in known and t != name}
        for name, (path, text) in known.items()
    }


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every import circle, each as the path of modules that closes it (Tarjan's components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def problems(known: Sources) -> list[str]:
    """Every way the sources break the layout, one line each."""
    found = []
    for name, (path, text) in known.items():
        lines = text.count("\n")
        if lines > MAX_LINES:
            found.append(f"{name}: {lines} lines (at most {MAX_LINES})")
        for target, line in imports(name, path, text, known):
            top = target.split(".")[0]
            if name.startswith("events") and top == "tracker":
                found.append(f"{name}:{line}: the vocabulary imports the engine ({target})")
            if name in PURE and top in IMPURE_MODULES:
                found.append(f"{name}:{line}: the pure core imports {target}")
            if not _within(name, INTERFACES) and _within(target, INTERFACES):
                found.append(f"{name}:{line}: the engine imports an interface ({target})")
        if name in PURE:
            for node in ast.walk(_tree(text)):
                if isinstance(node, ast.Call):
                    func = node.func
                    called = func.attr if isinstance(func, ast.Attribute) else None
                    called = func.id if isinstance(func, ast.Name) else called
                    if called in IMPURE_CALLS:
                        found.append(f"{name}:{node.lineno}: the pure core calls {called}()")
    found += [f"import circle: {' -> '.join(c)}" for c in circles(graph(known))]
    return found


class TestLayout:
    """The sources as they are hold to the layout."""

    def test_the_layout_holds(self) -> None:
        """No forbidden import, no circle, no module over 500 lines in events/ and tracker/."""
        assert problems(sources()) == []

    def test_the_families_have_their_packages(self) -> None:
        """The command line and the benchmark are packages; the engine's layers stay flat."""
        known = modules()
        assert {"tracker.cli", "tracker.bench", "tracker.importers"} <= set(known)
        for layer in ("dates", "reducers", "timeline", "ledger", "store", "projection"):
            assert known[f"tracker.{layer}"].name == f"{layer}.py"
        for layer in ("query", "scenario", "replay"):
            assert known[f"tracker.{layer}"].name == f"{layer}.py"
        assert not [n for n in known if n.startswith("tracker.cli_") or n == "tracker.bench_duckdb"]


def _planted(module: str, line: str) -> Sources:
    """The sources with `line` added at the end of `module` (nothing is written)."""
    known = sources()
    path, text = known[module]
    known[module] = (path, text + "\n" + line + "\n")
    return known


class TestLayoutFails:
    """The check fails on a deliberately broken copy of the sources (it can fail)."""

    @pytest.mark.parametrize(
        ("module", "line", "expected"),
        [
            ("tracker.dates", "import sqlite3", "the pure core imports sqlite3"),
            ("tracker.reducers", "import random", "the pure core imports random"),
            ("tracker.timeline", "from pathlib import Path", "the pure core imports pathlib"),
            ("tracker.dates", "def f():\n    import time", "the pure core imports time"),
            ("tracker.reducers", "x = open('f')", "the pure core calls open()"),
            ("tracker.timeline", "import datetime\nd = datetime.datetime.now()", "calls now()"),
            ("events.types", "from tracker import dates", "the vocabulary imports the engine"),
            ("tracker.query", "from .cli import main", "the engine imports an interface"),
            ("tracker.store", "from .bench import runner", "the engine imports an interface"),
            ("tracker.tables", "def f():\n    from . import store", "import circle"),
            ("tracker.verify", "from .store import Store", "import circle"),
            ("tracker.bench.timing", "from .runner import run", "import circle"),
        ],
    )
    def test_a_planted_import_is_found(self, module: str, line: str, expected: str) -> None:
        """Each kind of forbidden import or call, and a circle, planted in the sources, is found."""
        found = problems(_planted(module, line))
        assert any(expected in problem for problem in found), found

    def test_a_long_module_is_found(self) -> None:
        """A module grown past 500 lines is reported."""
        found = problems(_planted("tracker.replay", "\n" * MAX_LINES))
        assert any("tracker.replay:" in p and "lines" in p for p in found)
