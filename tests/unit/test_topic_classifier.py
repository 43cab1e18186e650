"""The topic classifier's choices beyond its model: the nearest answer to an uncovered question."""

from __future__ import annotations

from typing import List, Optional, Tuple

import pytest

from bot.nlu.topic_classifier import IntentTopicClassifier

Ranking = List[Tuple[str, float]]


def nearest(ranking: Ranking) -> Optional[Ranking]:
    config = IntentTopicClassifier.get_default_config()
    classifier = IntentTopicClassifier(config, None, None)  # type: ignore[arg-type]
    return classifier._nearest_answer(ranking)


def test_an_unsure_not_covered_beside_a_close_topic_gives_the_topics_answer() -> None:
    ranking = [("not_covered", 0.45), ("faq/depression_overview", 0.3), ("out_of_scope", 0.1)]
    assert nearest(ranking) == [
        ("faq/depression_overview", 0.3),
        ("not_covered", 0.45),
        ("out_of_scope", 0.1),
    ]


@pytest.mark.parametrize(
    "ranking",
    [
        # sure it is not covered (cost, insurance, side effects...)
        [("not_covered", 0.8), ("faq/ketamine_overview", 0.15)],
        # no topic close enough
        [("not_covered", 0.4), ("faq/bdnf", 0.1), ("out_of_scope", 0.3)],
        # not a "not covered" guess at all
        [("faq/bdnf", 0.5), ("not_covered", 0.3)],
        [("personal_advice", 0.4), ("faq/bdnf", 0.35)],
        [],
    ],
)
def test_otherwise_the_ranking_stands(ranking: Ranking) -> None:
    assert nearest(ranking) is None
