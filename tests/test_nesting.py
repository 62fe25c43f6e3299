"""Deep nesting is refused before any recursive parser sees it (tracker.ledger.MAX_NESTING)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tracker import ledger
from tracker.errors import LedgerError
from tracker.ledger import MAX_NESTING, parse_toml, too_deep


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_nesting_at_the_limit_parses_and_one_more_is_refused_on_its_line() -> None:
    """TOML nested MAX_NESTING levels parses; one level more is refused naming its line."""
    assert parse_toml("t.toml", f"a = {nested(MAX_NESTING)}\n")["a"]
    with pytest.raises(LedgerError) as raised:
        parse_toml("t.toml", f'a = 1\nb = "{"[" * 200}"\n\nc = {nested(MAX_NESTING + 1)}\n')
    assert raised.value.line == 4 and f"more than {MAX_NESTING} levels" in str(raised.value)


@pytest.mark.parametrize(
    "hidden",
    [
        '"' + "[" * 200 + '"',
        "'" + "{" * 200 + "'",
        '"""\n' + "[" * 200 + '\n"""',
        "'''\n" + "[" * 200 + "\n'''",
        '"\\"' + "[" * 200 + '"',
    ],
    ids=["basic", "literal", "multiline", "multiline literal", "escaped quote"],
)
def test_brackets_in_strings_and_comments_open_no_level(hidden: str) -> None:
    """Brackets inside a TOML string or comment are not counted as nesting."""
    text = f"a = {hidden}\n# {'[' * 200}\nb = {nested(MAX_NESTING)}\n"
    assert too_deep(text) is None
    assert parse_toml("t.toml", text)["b"]


def test_deep_toml_never_reaches_the_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    """Deep TOML is refused without calling tomllib (which recurses at each level)."""

    def recursing(text: str) -> Any:
        raise AssertionError("tomllib was handed deep text")

    monkeypatch.setattr(ledger.tomllib, "loads", recursing)
    with pytest.raises(LedgerError, match="nested more than"):
        parse_toml("t.toml", f"a = {nested(20_000)}\n")


def test_deep_duplicate_keys_are_refused_without_recursing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A deep JSON line with a duplicate key is refused at its line without json's parser."""
    calls: list[str] = []
    monkeypatch.setattr(json, "loads", lambda *a, **k: calls.append("json") or {})
    path = tmp_path / "deep.jsonl"
    line = '{"entity": {"id": "X_A", "name": "n", "kind": "group", "kind": "group"}, "x": '
    path.write_text("\n" + line + nested(MAX_NESTING + 1) + "}\n", encoding="utf-8")
    with pytest.raises(LedgerError, match="duplicate key in a JSON object") as raised:
        ledger.read(path)
    assert raised.value.line == 2 and calls == []
