"""The real-messages report counts what each kind of message got, and reads the set's format."""

from __future__ import annotations

from pathlib import Path

from bot.marker import TurnMarker
from tools.evaluate_realworld import BORDERLINE, is_miss, read_set, score

ROWS = [
    ("crisis", "a"),
    ("crisis", "b"),
    ("crisis", "c"),
    ("distress", "d"),
    ("distress", "e"),
    ("personal", "f"),
    ("personal", "g"),
    ("ordinary_negative", "h"),
    ("ordinary_negative", "i"),
]
MARKERS = [
    TurnMarker.from_custom(custom)
    for custom in (
        {"kind": "crisis"},
        {"kind": "check_in", "crisis_resources": True},
        {"kind": "fallback"},
        {"kind": "advice"},
        {"kind": "crisis"},
        {"kind": "answer", "topic": "bdnf"},
        {"kind": "out_of_scope"},
        {"kind": "check_in", "crisis_resources": True},
        {"kind": "smalltalk"},
    )
]


def test_the_summary_counts_each_kind_of_outcome() -> None:
    summary = score(ROWS, MARKERS)["summary"]
    assert (summary["crisis_turns"]["n"], summary["crisis_turns"]["of"]) == (1, 3)
    assert summary["crisis_sees_resources"]["n"] == 2
    assert (summary["non_crisis_crisis_turns"]["n"], summary["non_crisis_crisis_turns"]["of"]) == (
        1,
        6,
    )
    assert summary["ordinary_check_ins"]["n"] == 1
    # advice and an article answer are handled; a crisis turn and the out-of-scope menu are not
    assert (summary["personal_handled"]["n"], summary["personal_handled"]["of"]) == (2, 4)


def test_misses_are_judged_by_the_label() -> None:
    assert is_miss("crisis", TurnMarker("check_in"))
    assert not is_miss("crisis", TurnMarker("crisis"))
    assert is_miss("ordinary_negative", TurnMarker("check_in"))
    assert not is_miss("distress", TurnMarker("check_in"))
    assert is_miss("personal", TurnMarker("fallback"))


def test_the_set_is_read_with_quoted_fields(tmp_path: Path) -> None:
    path = tmp_path / "set.tsv"
    path.write_text(
        'label\ttext\tsource\ncrisis\t"a message with a ""quote"" and\ttab"\tsomewhere\n'
        "unknown_label\tskipped\tx\n",
        encoding="utf-8",
    )
    assert read_set(path) == [("crisis", 'a message with a "quote" and\ttab')]


def test_a_borderline_crisis_row_needs_the_resources_not_a_crisis_turn(tmp_path: Path) -> None:
    path = tmp_path / "set_b.tsv"
    path.write_text(
        "label\ttext\tsource\tborderline\n"
        "crisis\tclear\tx\t\n"
        "crisis\tunclear\tx\tyes\n"
        "distress\tlow\tx\t\n",
        encoding="utf-8",
    )
    rows = read_set(path)
    assert [label for label, _ in rows] == ["crisis", BORDERLINE, "distress"]
    markers = [TurnMarker("crisis"), TurnMarker("check_in", crisis_resources=True), None]
    summary = score(rows, markers)["summary"]
    assert (summary["crisis_turns"]["n"], summary["crisis_turns"]["of"]) == (1, 1)
    assert (summary["crisis_sees_resources"]["n"], summary["crisis_sees_resources"]["of"]) == (
        2,
        2,
    )
    assert not is_miss(BORDERLINE, TurnMarker("check_in"))
    assert is_miss(BORDERLINE, TurnMarker("advice"))


def test_ordinary_posts_count_crisis_turns_and_check_ins_apart() -> None:
    summary = score(ROWS, MARKERS)["summary"]
    assert (summary["ordinary_crisis_turns"]["n"], summary["ordinary_check_ins"]["n"]) == (0, 1)
