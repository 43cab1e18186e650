"""The content: the catalogue's topics, the answers, the training and held-out data, the stories."""

from __future__ import annotations

import re
from typing import Any, Dict, List

import pytest
import yaml

from bot.topics import load_topics

from conftest import ROOT, SPEC, nlu_examples, training_examples

KIND_INTENTS = {
    "acknowledge",
    "crisis",
    "personal_advice",
    "not_covered",
    "out_of_scope",
    "greet",
    "goodbye",
    "thank",
    "bot_challenge",
    "ask_capabilities",
    "tell_me_more",
}
HELDOUT = ROOT / "tests" / "nlu_heldout.yml"


def normalise(text: str) -> str:
    return re.sub(r"[^a-z0-9 ]", "", text.lower()).strip()


def test_topics_are_the_catalogues_topics() -> None:
    if not SPEC.exists():
        pytest.skip("the shared spec is not beside this checkout")
    table = SPEC.read_text(encoding="utf-8").split("| ID |", 1)[1].split("\n\n", 1)[0]
    catalogue = re.findall(r"^\| ([a-z_]+) \|", table, re.M)
    assert len(catalogue) == 23
    assert list(load_topics()) == catalogue


def test_topic_graph_is_consistent() -> None:
    topics = load_topics()
    for topic in topics.values():
        assert 2 <= len(topic.related) <= 4, topic.id
        assert topic.id not in topic.related and len(set(topic.related)) == len(topic.related)
        assert set(topic.related) <= set(topics) and topic.deeper in topics
        assert len(topic.title) <= 40 and topic.section
    assert topics["ketamine_mechanism"].deeper == "ketamine_nmda"


def test_answers_are_chat_sized(domain_responses: Dict[str, List[Dict[str, Any]]]) -> None:
    for name, variations in domain_responses.items():
        if name.startswith("utter_faq/"):
            words = len(variations[0]["text"].split())
            assert 60 <= words <= 120, (name, words)


def test_every_topic_and_turn_kind_has_at_least_15_training_phrasings() -> None:
    examples = training_examples()
    for topic in load_topics():
        assert len(examples.get(f"faq/{topic}", [])) >= 15, topic
    for intent in KIND_INTENTS:
        assert len(examples.get(intent, [])) >= 15, intent


def test_training_data_has_long_personal_stories() -> None:
    examples = training_examples()
    for label in [f"faq/{t}" for t in load_topics()] + ["crisis", "personal_advice"]:
        long_ones = [e for e in examples[label] if len(e.split()) >= 25]
        assert len(long_ones) >= 3, label


def test_heldout_set_covers_every_label_and_copies_no_training_example() -> None:
    heldout = nlu_examples(HELDOUT)
    for topic in load_topics():
        assert len(heldout.get(f"faq/{topic}", [])) >= 5, topic
    for intent in KIND_INTENTS:
        assert len(heldout.get(intent, [])) >= 5, intent
    training = {normalise(e) for lines in training_examples().values() for e in lines}
    copies = [e for lines in heldout.values() for e in lines if normalise(e) in training]
    assert copies == []


def test_story_tests_cover_every_topic_and_turn_kind() -> None:
    actions = set()
    for path in (ROOT / "tests" / "stories").glob("*.yml"):
        for story in yaml.safe_load(path.read_text(encoding="utf-8"))["stories"]:
            actions |= {step["action"] for step in story["steps"] if "action" in step}
    expected = {f"utter_faq/{t}" for t in load_topics()} | {
        "utter_crisis",
        "utter_advice",
        "utter_not_covered",
        "utter_out_of_scope",
        "utter_fallback",
        "utter_greet",
        "utter_goodbye",
        "utter_thank",
        "utter_bot_challenge",
        "utter_acknowledge",
        "utter_capabilities",
        "action_follow_up",
    }
    assert expected <= actions, expected - actions
