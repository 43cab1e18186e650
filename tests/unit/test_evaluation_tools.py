"""The evaluation tools: near-copies of training examples, and the real-style questions' score."""

from __future__ import annotations

import csv
import textwrap
from pathlib import Path
from typing import Dict, List, Optional

import pytest

from bot.marker import TurnMarker
from tools.evaluate_questions import fits, score
from tools.near_copies import SHORT_WORDS, messages_of, near_copies, training_examples, words

from conftest import ROOT

HELD_OUT_SETS = ("tests/posts_realstyle.tsv", "tests/questions_realstyle.tsv")

TRAINED = "my sister has been on sertraline for two months and still feels nothing at all"
# 12 of 16 words shared with TRAINED: 0.75.
NEAR_COPY = "my sister has been on sertraline for two months and still feels numb"
# 10 of 18 words shared with TRAINED: 0.56, a near-copy at 0.5 but not at 0.6.
BELOW = "my sister has been on sertraline for two years and feels better now"


# --- near-copies ---------------------------------------------------------------------------------


def test_a_long_near_copy_is_found_with_its_overlap() -> None:
    training = ["what is bdnf and why does it matter", TRAINED]
    assert near_copies(training, ["how fast does ketamine work", NEAR_COPY], 0.6) == [
        (1, 1, pytest.approx(12 / 16))
    ]


def test_a_long_message_below_the_threshold_is_not_a_near_copy() -> None:
    assert near_copies([TRAINED], [BELOW], 0.6) == []
    # It is the threshold that leaves it out.
    assert near_copies([TRAINED], [BELOW], 0.5) == [(0, 0, pytest.approx(10 / 18))]


def test_a_short_query_sharing_most_of_its_words_is_not_a_copy() -> None:
    query, example = "ketamine for depression", "ketamine for depression explained"
    assert len(words(example)) <= SHORT_WORDS
    # 3 of 4 words: above the threshold, yet not the same query.
    assert near_copies([example], [query], 0.6) == []
    assert near_copies([query], [example], 0.6) == []


def test_a_short_query_with_the_same_words_in_another_order_is_a_copy() -> None:
    assert near_copies(["ketamine depression"], ["Depression, ketamine?"], 0.6) == [
        (0, 0, pytest.approx(1.0))
    ]


def test_a_long_message_holding_a_short_examples_words_is_not_its_copy() -> None:
    assert near_copies(["ketamine depression"], [TRAINED + " ketamine depression"], 0.6) == []


def test_messages_are_read_from_a_rasa_nlu_file(tmp_path: Path) -> None:
    path = tmp_path / "faq.yml"
    path.write_text(
        textwrap.dedent(
            """\
            version: "3.1"
            nlu:
            - intent: faq/bdnf
              examples: |
                - what is bdnf
                - "bdnf" explained
            - intent: greet
              examples: |
                - hello there
            """
        ),
        encoding="utf-8",
    )
    assert messages_of(path) == ["what is bdnf", '"bdnf" explained', "hello there"]


def test_messages_are_read_from_a_crisis_set_by_category(tmp_path: Path) -> None:
    path = tmp_path / "crisis_eval.yml"
    path.write_text(
        textwrap.dedent(
            """\
            # evaluation only
            crisis:
              suicidal_direct:
                - i want to die
                - i am going to kill myself
              overdose:
                - i took the whole bottle
            non_crisis:
              figurative:
                - this traffic is killing me
            """
        ),
        encoding="utf-8",
    )
    assert sorted(messages_of(path)) == sorted(
        [
            "i want to die",
            "i am going to kill myself",
            "i took the whole bottle",
            "this traffic is killing me",
        ]
    )


def test_messages_are_read_from_a_tsv_text_column(tmp_path: Path) -> None:
    path = tmp_path / "questions.tsv"
    path.write_text(
        "topic\tstyle\tkind\ttext\n"
        "bdnf\tsearch\tplain\twhat is bdnf\n"
        "bdnf\tsearch\tplain\t\n"
        "ketamine_speed\tchat\tlay\thow soon, roughly, would ketamine help?\n",
        encoding="utf-8",
    )
    assert messages_of(path) == ["what is bdnf", "how soon, roughly, would ketamine help?"]


def test_training_examples_are_every_yaml_file_of_the_directory(tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text(
        "nlu:\n- intent: greet\n  examples: |\n    - hi\n", encoding="utf-8"
    )
    (tmp_path / "b.yml").write_text(
        "nlu:\n- intent: goodbye\n  examples: |\n    - bye\n", encoding="utf-8"
    )
    (tmp_path / "notes.tsv").write_text("text\nnot training\n", encoding="utf-8")
    assert training_examples(tmp_path) == ["hi", "bye"]


# --- the team's held-out sets --------------------------------------------------------------------


def normalised(text: str) -> str:
    return " ".join(text.lower().split())


@pytest.mark.parametrize("held_out", HELD_OUT_SETS)
def test_a_held_out_set_holds_no_exact_copy_of_a_training_example(held_out: str) -> None:
    """Near-copies are left out when the set is scored; an exact copy must not be there at all."""
    trained = {normalised(text) for text in training_examples(ROOT / "data" / "nlu")}
    assert trained, "no training examples read from data/nlu"
    copies: Dict[int, str] = {}
    with (ROOT / held_out).open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        for record in reader:
            if record.get("text") and normalised(record["text"]) in trained:
                copies[reader.line_num] = record["text"]
    assert reader.line_num > 1, f"no rows read from {held_out}"
    # {line of the file: text}
    assert copies == {}


# --- the real-style questions' score -------------------------------------------------------------


def row(topic: str, style: str, kind: str) -> Dict[str, str]:
    return {"topic": topic, "style": style, "kind": kind, "text": f"a {style} question"}


ROWS = [
    row("bdnf", "search", "plain"),
    row("bdnf", "chat", "lay"),
    row("ketamine_speed", "post", "plain"),
    row("ketamine_speed", "search", "lay"),
    row("ketamine_speed", "chat", "plain"),
    row("bdnf", "post", "plain"),
]
MARKERS: List[Optional[TurnMarker]] = [
    TurnMarker(kind="answer", topic="bdnf"),
    TurnMarker(kind="check_in", answer_kind="answer", topic="bdnf", crisis_resources=True),
    TurnMarker(kind="advice"),
    None,
    TurnMarker(kind="answer", topic="bdnf"),
    TurnMarker(kind="check_in", answer_kind="answer", topic="ketamine_speed"),
]


def share(n: int, fit: int) -> Dict[str, float]:
    return {"n": n, "fit": fit, "rate": fit / n}


def test_the_score_gives_the_fitting_share_per_style_topic_and_kind() -> None:
    result = score(ROWS, MARKERS)
    assert result["style"] == {"chat": share(2, 1), "post": share(2, 0), "search": share(2, 1)}
    assert result["topic"] == {"bdnf": share(3, 2), "ketamine_speed": share(3, 0)}
    assert result["kind"] == {"lay": share(2, 1), "plain": share(4, 1)}
    assert result["overall"] == share(6, 2)


def test_the_score_counts_what_each_miss_got_instead() -> None:
    # Another topic's answer counts as another topic, alone or inside a check-in.
    assert score(ROWS, MARKERS)["instead"] == {"advice": 1, "none": 1, "another topic": 2}


def test_no_questions_score_zero() -> None:
    assert score([], [])["overall"] == {"n": 0, "fit": 0, "rate": 0.0}


def test_rows_and_markers_of_different_lengths_are_refused() -> None:
    with pytest.raises(ValueError):
        score(ROWS, MARKERS[:-1])


@pytest.mark.parametrize(
    "marker, expected",
    [
        (TurnMarker(kind="answer", topic="bdnf"), True),
        (TurnMarker(kind="check_in", answer_kind="answer", topic="bdnf"), True),
        (TurnMarker(kind="advice", topic="bdnf"), True),
        (TurnMarker(kind="answer", topic="ketamine_speed"), False),
        (TurnMarker(kind="advice"), False),
        (TurnMarker(kind="crisis", crisis_resources=True), False),
        (None, False),
    ],
)
def test_a_turn_fits_only_when_it_carries_the_expected_topic(
    marker: Optional[TurnMarker], expected: bool
) -> None:
    assert fits("bdnf", marker) is expected
