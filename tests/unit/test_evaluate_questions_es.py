"""The Spanish questions' evaluation scores the label a turn answers with, per style."""

from __future__ import annotations

from tools.evaluate_questions_es import DEFAULT_SET, english_differences, read_rows, score


def faq(topic: str) -> dict:
    return {
        "intent": {"name": "faq"},
        "language": "es",
        "response_selector": {"faq": {"response": {"intent_response_key": f"faq/{topic}"}}},
    }


def test_a_topic_answer_fits_and_a_language_turn_does_not() -> None:
    rows = [
        {"topic": "bdnf", "style": "search", "text": "bdnf"},
        {"topic": "bdnf", "style": "post", "text": "..."},
        {"topic": "trauma", "style": "post", "text": "..."},
    ]
    parses = [faq("bdnf"), faq("trauma"), {"intent": {"name": "other_language"}, "language": "es"}]
    result = score(rows, parses)
    assert result["overall"] == {"n": 3, "fit": 1, "rate": 1 / 3}
    assert result["style"]["search"]["rate"] == 1.0 and result["style"]["post"]["fit"] == 0
    assert result["instead"] == {"another topic": 1, "other_language": 1}
    assert result["detected_spanish"] == 3


def test_english_differences_compare_intent_and_answered_label() -> None:
    assert english_differences([faq("bdnf")], [faq("bdnf")]) == []
    assert english_differences([faq("bdnf")], [faq("trauma")]) == [
        (0, "faq faq/bdnf", "faq faq/trauma")
    ]


def test_the_held_out_set_has_every_style() -> None:
    assert {row["style"] for row in read_rows(DEFAULT_SET)} == {"search", "chat", "post"}
