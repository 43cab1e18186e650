"""The crisis rule layer in the spaCy pipeline and the guard that lets it win."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest
import spacy
from rasa.nlu.constants import SPACY_DOCS
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.crisis_guard import CrisisGuard
from bot.spacy_pipeline import CRISIS_SPANS, build_pipeline, compile_pattern


@pytest.fixture(scope="module")
def nlp() -> spacy.language.Language:
    return build_pipeline()


def categories(nlp: spacy.language.Language, text: str) -> List[str]:
    doc = nlp(text.lower())
    return sorted({span.label_ for span in doc.spans[CRISIS_SPANS]})


@pytest.mark.parametrize(
    "text, category",
    [
        ("I'm gonna kill myself tonight", "suicidal_direct"),
        ("i just want to sleep forever", "suicidal_passive"),
        ("i dont want to wake up tomorrow", "suicidal_passive"),
        ("kms", "suicidal_direct"),
        ("i dont know why i shouldnt kill myself", "suicidal_direct"),
        ("i have suicidal ideation every night", "suicidal_direct"),
        ("ketamine didnt reduce my suicidal thoughts and i want to die", "suicidal_direct"),
        ("i bought a rope", "plan_means_timing"),
        ("cutting doesnt work anymore", "self_harm"),
        ("i took the whole bottle", "overdose"),
        ("took 30 of my sertraline an hour ago", "overdose"),
        ("he hits me when hes drunk", "abuse_violence"),
        ("i cant breathe and my chest hurts", "medical_emergency"),
        ("my friend texted that shes going to end it", "third_party_danger"),
        (
            "ketamine helped at first and my therapist is great. but last night i wrote "
            "goodbye letters to my kids",
            "plan_means_timing",
        ),
    ],
)
def test_rules_catch_crisis_language(nlp: Any, text: str, category: str) -> None:
    assert category in categories(nlp, text)


@pytest.mark.parametrize(
    "text",
    [
        "im dying to know how ketamine works",
        "this traffic is killing me",
        "ketamine kills old signaling loops",
        "what are suicide rates in depression",
        "im not suicidal, just tired",
        "does ketamine reduce suicidal thoughts in studies",
        "i would never hurt myself",
        "this pasta is to die for",
    ],
)
def test_idioms_and_non_personal_uses_are_not_matched(nlp: Any, text: str) -> None:
    assert categories(nlp, text) == []


def test_the_rules_survive_saving_and_loading(nlp: Any, tmp_path: Any) -> None:
    nlp.to_disk(tmp_path / "pipeline")
    loaded = spacy.load(tmp_path / "pipeline")
    assert categories(loaded, "i want to kill myself") == ["suicidal_direct"]


@pytest.mark.parametrize("bad", ["~2 die", "die ~2", "kill ~99 myself", "=took|take pills"])
def test_malformed_patterns_fail_the_build(bad: str) -> None:
    with pytest.raises(ValueError):
        compile_pattern(bad, lambda word: word)


def guard(message: Message) -> Dict[str, Any]:
    CrisisGuard(CrisisGuard.get_default_config()).process([message])
    return {
        "intent": message.get("intent"),
        "ranking": message.get("intent_ranking"),
        "crisis": message.get("crisis"),
    }


def message_with(nlp: Any, text: str, ranking: List[Dict[str, Any]]) -> Message:
    message = Message(data={"text": text})
    message.set(SPACY_DOCS["text"], nlp(text.lower()))
    message.set("intent", ranking[0])
    message.set("intent_ranking", ranking)
    return message


def test_a_rule_match_wins_over_a_confident_classifier(nlp: Any) -> None:
    ranking = [
        {"name": "personal_advice", "confidence": 0.97},
        {"name": "crisis", "confidence": 0.01},
    ]
    result = guard(message_with(nlp, "should i keep cutting myself", ranking))
    assert result["intent"] == {"name": "crisis", "confidence": 1.0}
    assert [r["name"] for r in result["ranking"]] == ["crisis", "personal_advice"]
    assert result["crisis"]["rules"] == ["self_harm"]


def test_a_likely_classifier_crisis_wins_without_a_rule(nlp: Any) -> None:
    ranking = [
        {"name": "personal_advice", "confidence": 0.6},
        {"name": "crisis", "confidence": 0.3},
    ]
    result = guard(message_with(nlp, "everything is too much", ranking))
    assert result["intent"]["name"] == "crisis" and result["crisis"]["rules"] == []


def test_neither_signal_leaves_the_message_alone(nlp: Any) -> None:
    ranking = [{"name": "faq", "confidence": 0.9}, {"name": "crisis", "confidence": 0.05}]
    result = guard(message_with(nlp, "what is bdnf", ranking))
    assert result["intent"] == {"name": "faq", "confidence": 0.9}
    assert result["crisis"] == {"rules": [], "classifier": 0.05}
