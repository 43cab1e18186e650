"""A personal message is never brushed off: the router's decisions, on messages written for it."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import pytest
import spacy
from rasa.nlu.constants import SPACY_DOCS, TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.domain_terms import domain_terms
from bot.nlu.personal_router import PersonalMessageRouter, route_to_advice
from bot.nlu.spacy_pipeline import build_pipeline
from bot.nlu.topic_classifier import QUESTION_FOCUS
from bot.nlu.verdict import PersonalVerdict


@pytest.fixture(scope="module")
def nlp() -> spacy.language.Language:
    return build_pipeline()


def routed(
    nlp: Any,
    text: str,
    ranking: List[Dict[str, Any]],
    question_focus: bool = False,
) -> Message:
    doc = nlp(text.lower())
    message = Message(data={"text": text})
    message.set(SPACY_DOCS["text"], doc)
    message.set(TOKENS_NAMES["text"], [Token(t.text, t.idx, lemma=t.lemma_) for t in doc])
    message.set("entities", domain_terms(message))
    message.set("intent", ranking[0])
    message.set("intent_ranking", ranking)
    if question_focus:
        message.set(QUESTION_FOCUS, True)
    router = PersonalMessageRouter(PersonalMessageRouter.get_default_config())
    router.process([message])
    return message


def intent_of(message: Message) -> Optional[str]:
    return (message.get("intent") or {}).get("name")


@pytest.mark.parametrize(
    "text, guess",
    [
        ("im struggling so much lately", "greet"),
        ("how do u lower your dosage of gabapentin", "ask_capabilities"),
        ("my girlfriend left and i cant stop crying", "out_of_scope"),
        ("took my first buspar yesterday, anyone else", "goodbye"),
        (
            "i moved cities for work and i spend every evening alone in a flat with bare walls "
            "and i am not sure what i expected but it was not this",
            "out_of_scope",
        ),
    ],
)
def test_a_personal_message_the_classifier_would_brush_off_is_advice(
    nlp: Any, text: str, guess: str
) -> None:
    message = routed(nlp, text, [{"name": guess, "confidence": 0.6}])
    assert intent_of(message) == "personal_advice"
    assert message.get("intent")["confidence"] == 1.0


@pytest.mark.parametrize(
    "text",
    [
        "can i take ibuprofen with my zoloft",
        "should i take my lexapro at night or in the morning",
        "how do i cope with my depression",
        "is ketamine right for me",
        "do i have adhd",
    ],
)
def test_own_situation_first_even_over_an_article_topic(nlp: Any, text: str) -> None:
    message = routed(nlp, text, [{"name": "faq", "confidence": 0.8}])
    assert intent_of(message) == "personal_advice"


def test_a_story_that_closes_with_a_question_about_the_world_keeps_its_answer(nlp: Any) -> None:
    text = "my doctor just put me on sertraline last week. why do ssris take weeks to work?"
    ranking = [{"name": "faq", "confidence": 0.8}]
    assert intent_of(routed(nlp, text, ranking, question_focus=True)) == "faq"
    assert intent_of(routed(nlp, text, ranking, question_focus=False)) == "personal_advice"


@pytest.mark.parametrize(
    "text, guess",
    [
        ("what is bdnf", "faq"),
        ("hi there", "greet"),
        ("no, just tired", "deny"),
        ("tell me a joke", "out_of_scope"),
    ],
)
def test_everything_else_keeps_its_intent(nlp: Any, text: str, guess: str) -> None:
    message = routed(nlp, text, [{"name": guess, "confidence": 0.9}])
    assert intent_of(message) == guess


def test_a_crisis_stays_a_crisis(nlp: Any) -> None:
    message = routed(nlp, "i feel so alone", [{"name": "crisis", "confidence": 1.0}])
    assert intent_of(message) == "crisis"


def test_a_check_in_stays_and_its_answer_becomes_the_advice(nlp: Any) -> None:
    ranking = [
        {"name": "check_in", "confidence": 1.0},
        {"name": "out_of_scope", "confidence": 0.3},
    ]
    message = routed(nlp, "i feel so empty and tired of everything", ranking)
    assert intent_of(message) == "check_in"
    assert [e["name"] for e in message.get("intent_ranking")][:2] == ["check_in", "personal_advice"]


def test_a_button_payload_is_left_alone(nlp: Any) -> None:
    message = routed(nlp, "/faq/trauma", [{"name": "faq", "confidence": 1.0}])
    assert intent_of(message) == "faq" and message.get("personal") is None


def test_the_concerns_go_into_the_parse_data_by_label_only(nlp: Any) -> None:
    message = routed(
        nlp, "can i take advil with my zoloft, i feel awful", [{"name": "faq", "confidence": 0.5}]
    )
    assert message.get("personal") == {"concerns": ["medication_practical", "feelings"]}


@pytest.mark.parametrize(
    "guess, concerns, own_medication, words, expected",
    [
        ({"name": "out_of_scope", "confidence": 0.9}, (), True, (0, 5), True),
        ({"name": "out_of_scope", "confidence": 0.9}, (), False, (2, 30), True),
        ({"name": "out_of_scope", "confidence": 0.9}, (), False, (0, 30), False),
        ({"name": "faq", "confidence": 0.2}, ("feelings",), False, (1, 6), True),
        ({"name": "faq", "confidence": 0.9}, ("feelings",), False, (1, 6), False),
        ({"name": "personal_advice", "confidence": 0.9}, ("coping",), False, (1, 6), False),
        ({"name": "affirm", "confidence": 0.5}, ("feelings",), False, (1, 3), True),
        ({"name": "deny", "confidence": 0.95}, ("feelings",), False, (1, 4), False),
    ],
)
def test_route_to_advice(
    guess: Dict[str, Any], concerns: tuple, own_medication: bool, words: tuple, expected: bool
) -> None:
    assert (
        route_to_advice(
            intent=guess,
            concerns=concerns,
            answers_a_question=False,
            own_medication=own_medication,
            first_person_words=words,
            long_words=25,
            unsure_below=0.35,
        )
        is expected
    )


@pytest.mark.parametrize(
    "text",
    [
        "how do i find a good ketamine doctor",
        "i feel so low lately. is depression really a chemical imbalance",
        "been struggling for years, why do some people not respond to antidepressants",
    ],
)
def test_an_article_question_said_with_i_keeps_its_answer_and_acknowledges(
    nlp: Any, text: str
) -> None:
    message = routed(nlp, text, [{"name": "faq", "confidence": 0.7}])
    assert intent_of(message) == "faq"
    verdict = PersonalVerdict.from_parse_data({"personal": message.get("personal")})
    assert verdict.concerns and verdict.acknowledge


@pytest.mark.parametrize(
    "text",
    [
        "should i raise my zoloft dose",
        "is ketamine right for me",
        "how do i cope with my depression",
    ],
)
def test_what_to_do_about_ones_own_care_stays_advice_beside_a_topic(nlp: Any, text: str) -> None:
    message = routed(nlp, text, [{"name": "faq", "confidence": 0.9}])
    assert intent_of(message) == "personal_advice"
    assert not PersonalVerdict.from_parse_data({"personal": message.get("personal")}).acknowledge


def test_an_unsure_topic_beside_feelings_is_not_answered_as_if_sure(nlp: Any) -> None:
    message = routed(
        nlp, "i feel empty all the time", [{"name": "out_of_scope", "confidence": 0.6}]
    )
    assert intent_of(message) == "personal_advice"
    assert not PersonalVerdict.from_parse_data({"personal": message.get("personal")}).acknowledge


def test_a_plea_with_a_thank_you_is_never_thanked(nlp: Any) -> None:
    text = "having a really bad night, would appreciate some support. thank you"
    assert intent_of(routed(nlp, text, [{"name": "thank", "confidence": 0.95}])) == (
        "personal_advice"
    )


def test_a_clinic_question_beside_ones_feelings_keeps_the_clinics_answer_and_acknowledges(
    nlp: Any,
) -> None:
    text = "i feel so low and nervous about all this. what are your opening hours"
    message = routed(nlp, text, [{"name": "clinic", "confidence": 0.8}])
    assert intent_of(message) == "clinic"
    verdict = PersonalVerdict.from_parse_data({"personal": message.get("personal")})
    assert verdict.concerns and verdict.acknowledge
    # What to do about one's own care stays advice, whatever the clinic's topic.
    own = routed(nlp, "is ketamine right for me", [{"name": "clinic", "confidence": 0.9}])
    assert intent_of(own) == "personal_advice"
