"""The clinic's intake topics and the follow-ups, as turns: words, notice, contact line, marker."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any, Dict, List, Optional

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot import page_context
from bot.clinic_answers import ClinicAnswers, intake_topics
from bot.nlg import ClinicNaturalLanguageGenerator
from bot.nlu.answered_topic import answered_label, topic_of_label
from bot.settings import ClinicContact, Settings
from bot.turns import (
    GENERAL_REFERRAL,
    NOTICE,
    TurnContext,
    compose_check_in,
    compose_turn,
    follow_up_response,
)

from conftest import ROOT

CONTACT = ClinicContact("Harbour Clinic", "+1 (555) 010-0100", "https://harbour.example/book")
ANSWERS = ClinicAnswers(
    "Harbour Clinic",
    {
        "cost": "A consultation is $150. See [our prices](https://harbour.example/fees).",
        "hours": "Monday to Friday, 9:00 to 17:00.",
    },
)
SETTINGS = Settings(contact=CONTACT, clinic_answers=ANSWERS)
CLINIC = TurnContext(SETTINGS, CONTACT, "US", clinic_answers=ANSWERS)
NO_CLINIC = TurnContext(Settings(), ClinicContact(), "US")


def test_a_topic_the_clinic_answered_shows_its_own_words_and_how_to_reach_it(
    domain_responses: Dict[str, Any],
) -> None:
    turn = compose_turn("utter_clinic/cost", domain_responses["utter_clinic/cost"][0], CLINIC)
    text = turn["text"]
    assert text.startswith("Here is what **Harbour Clinic** says about cost and payment:\n\n")
    assert "A consultation is $150. See [our prices](https://harbour.example/fees)." in text
    assert "hasn't written" not in text
    assert (
        "To ask Harbour Clinic directly, call [+1 (555) 010-0100](tel:+15550100100) or "
        "[book a visit](https://harbour.example/book)." in text
    )
    assert text.endswith(f"_{NOTICE}_")
    # Not medical: no "your own situation" referral, no crisis lines, no article source.
    assert "your own situation" not in text and "988" not in text and "_Source" not in text
    assert turn["custom"] == {
        "kind": "clinic_answer",
        "notice": NOTICE,
        "topic": "cost",
        "clinic_words": True,
    }
    assert turn["buttons"] == []


def test_a_topic_the_clinic_left_empty_says_so_with_its_phone_and_booking_link(
    domain_responses: Dict[str, Any],
) -> None:
    generator = ClinicNaturalLanguageGenerator(
        domain=Domain.from_dict({"responses": domain_responses})
    )
    metadata = {
        "clinic_name": "Harbour Clinic",
        "clinic_phone": "+1 555 010 0100",
        "booking_url": "https://harbour.example/book",
    }
    tracker = DialogueStateTracker.from_events("empty", [UserUttered("hi", metadata=metadata)])
    for topic in intake_topics():
        turn = asyncio.run(generator.generate(f"utter_clinic/{topic}", tracker, "rest"))
        assert turn is not None
        text = turn["text"]
        assert text.startswith("I don't have Harbour Clinic's own answer about "), topic
        assert "it hasn't written one here yet" in text and "{" not in text
        assert "(tel:+15550100100)" in text and "(https://harbour.example/book)" in text
        assert text.endswith(f"_{NOTICE}_")
        assert turn["custom"] == {"kind": "clinic_answer", "notice": NOTICE, "topic": topic}


def test_with_no_clinic_at_all_it_says_the_clinic_and_asks_them_directly(
    domain_responses: Dict[str, Any],
) -> None:
    response = {"text": "I don't have the clinic's own answer about its opening hours."}
    text = compose_turn("utter_clinic/hours", response, NO_CLINIC)["text"]
    assert "Please ask the clinic directly." in text and GENERAL_REFERRAL not in text


def test_a_crisis_earlier_keeps_the_lines_on_a_clinic_answer_too(
    domain_responses: Dict[str, Any],
) -> None:
    after = replace(CLINIC, crisis_earlier=True)
    turn = compose_turn("utter_clinic/hours", domain_responses["utter_clinic/hours"][0], after)
    assert "Monday to Friday" in turn["text"] and "(tel:988)" in turn["text"]
    assert turn["custom"]["crisis_resources"] is True


def test_the_answers_go_only_to_the_clinic_they_belong_to(monkeypatch: Any) -> None:
    monkeypatch.setattr(page_context, "load_settings", lambda: SETTINGS)
    assert page_context.context_for({}).clinic_answers is ANSWERS
    assert page_context.context_for({"clinic_name": "Harbour Clinic"}).clinic_answers is ANSWERS
    other = page_context.context_for({"clinic_name": "Bright Path Clinic"})
    assert other.clinic_answers is None and other.contact.name == "Bright Path Clinic"


def test_a_check_in_can_carry_the_clinics_answer(domain_responses: Dict[str, Any]) -> None:
    question = domain_responses["utter_check_in"][0]
    answer = domain_responses["utter_clinic/hours"][0]
    turn = compose_check_in("utter_clinic/hours", answer, question, CLINIC)
    text = turn["text"]
    # The question first, then the lines, then the clinic's own words, whole.
    assert text.index("Are you") < text.index("(tel:988)") < text.index("Monday to Friday")
    assert "To ask Harbour Clinic directly" in text and text.endswith(f"_{NOTICE}_")
    assert turn["custom"]["answer_kind"] == "clinic_answer"
    assert turn["custom"]["topic"] == "hours" and turn["custom"]["clinic_words"] is True


# --- follow-ups read against the `topic` slot ----------------------------------------------------


def generate(
    domain_responses: Dict[str, Any],
    name: str,
    topic: Optional[str],
    events: Optional[List[Any]] = None,
    monkeypatch: Any = None,
) -> Dict[str, Any]:
    domain = Domain.from_dict(
        {
            "responses": domain_responses,
            "entities": ["topic"],
            "slots": {
                "topic": {
                    "type": "text",
                    "influence_conversation": False,
                    "mappings": [{"type": "from_entity", "entity": "topic"}],
                }
            },
        }
    )
    generator = ClinicNaturalLanguageGenerator(domain=domain)
    history = [*(events or [UserUttered("hi")]), SlotSet("topic", topic)]
    tracker = DialogueStateTracker.from_events("follow-up", history, slots=domain.slots)
    turn = asyncio.run(generator.generate(name, tracker, "rest"))
    assert turn is not None
    return turn


@pytest.mark.parametrize(
    "name, topic, words",
    [
        ("utter_follow_up_how_long", "integration", "how long things take or last"),
        ("utter_follow_up_safety", "ketamine_overview", "risks or side effects"),
        ("utter_follow_up_group", "ssri_benefits", "such as teenagers, older adults"),
        ("utter_follow_up_how_long", None, "how long things take or last"),
    ],
)
def test_a_follow_up_the_article_cannot_answer_says_so_for_the_latest_topic(
    domain_responses: Dict[str, Any], name: str, topic: Optional[str], words: str
) -> None:
    turn = generate(domain_responses, name, topic)
    subject = {
        "integration": "integration",
        "ketamine_overview": "ketamine therapy",
        "ssri_benefits": "SSRIs",
        None: "the topics it covers",
    }[topic]
    assert words in turn["text"] and f"when it comes to {subject}" in turn["text"]
    assert turn["custom"]["kind"] == "not_covered"
    assert GENERAL_REFERRAL in turn["text"] and turn["text"].endswith(f"_{NOTICE}_")


@pytest.mark.parametrize(
    "name", ["utter_follow_up_how_long", "utter_follow_up_safety", "utter_follow_up_group"]
)
def test_after_a_clinic_answer_a_follow_up_says_only_the_clinic_can_say_more(
    domain_responses: Dict[str, Any], name: str
) -> None:
    assert follow_up_response(name, "session") == "utter_clinic_more"
    assert follow_up_response(name, "integration") == name
    metadata = {"clinic_name": "Harbour Clinic", "clinic_phone": "+1 555 010 0100"}
    turn = generate(domain_responses, name, "session", [UserUttered("hi", metadata=metadata)])
    assert turn["text"].startswith(
        "That's all Harbour Clinic has written here about what a treatment session is like there."
    )
    assert "(tel:+15550100100)" in turn["text"]
    assert turn["custom"] == {"kind": "clinic_answer", "notice": NOTICE, "topic": "session"}


def test_why_after_the_advice_turn_explains_who_can_advise(
    domain_responses: Dict[str, Any],
) -> None:
    turn = generate(domain_responses, "utter_advice_why", None)
    text = turn["text"]
    for words in ("can't know you", "history", "medication", "doctor, psychiatrist or therapist"):
        assert words in text, words
    assert turn["custom"]["kind"] == "advice" and text.endswith(f"_{NOTICE}_")


def test_every_new_response_fills_its_placeholders(domain_responses: Dict[str, Any]) -> None:
    names = [n for n in domain_responses if n.startswith("utter_clinic")] + [
        "utter_advice_why",
        "utter_not_covered_why",
        "utter_follow_up_how_long",
        "utter_follow_up_safety",
        "utter_follow_up_group",
    ]
    for topic in (None, "bdnf", "cost"):
        for name in names:
            text = generate(domain_responses, name, topic)["text"]
            assert "{" not in text and "}" not in text, (name, topic)


def test_the_new_responses_live_in_one_file() -> None:
    import yaml

    data = yaml.safe_load((ROOT / "data" / "responses" / "intake.yml").read_text("utf-8"))
    names = set(data["responses"])
    assert {f"utter_clinic/{topic}" for topic in intake_topics()} <= names
    assert {"utter_advice_why", "utter_not_covered_why", "utter_clinic_more"} <= names


# --- the topic a turn answered, for the slot -----------------------------------------------------


@pytest.mark.parametrize(
    "parse, label, topic",
    [
        (
            {
                "intent": {"name": "faq"},
                "response_selector": {"faq": {"response": {"intent_response_key": "faq/bdnf"}}},
            },
            "faq/bdnf",
            "bdnf",
        ),
        (
            {
                "intent": {"name": "clinic"},
                "response_selector": {
                    "clinic": {"response": {"intent_response_key": "clinic/cost"}}
                },
            },
            "clinic/cost",
            "cost",
        ),
        (
            {
                "intent": {"name": "check_in"},
                "intent_ranking": [{"name": "check_in"}, {"name": "faq/trauma"}],
            },
            "faq/trauma",
            "trauma",
        ),
        (
            {
                "intent": {"name": "check_in"},
                "intent_ranking": [{"name": "check_in"}, {"name": "personal_advice"}],
            },
            "personal_advice",
            None,
        ),
        ({"intent": {"name": "crisis"}}, "crisis", None),
        ({"intent": {"name": "faq"}}, None, None),
        ({}, None, None),
    ],
)
def test_the_answered_topic_is_the_final_decisions(
    parse: Dict[str, Any], label: Optional[str], topic: Optional[str]
) -> None:
    assert answered_label(parse) == label
    assert topic_of_label(label) == topic


def test_a_clinic_answer_is_remembered_from_its_marker_too() -> None:
    # The marker of a clinic answer reads back whole (the insights and the widget read it so).
    from bot.marker import TurnMarker

    event = BotUttered(
        "x", data={"custom": {"kind": "clinic_answer", "topic": "cost", "clinic_words": True}}
    )
    marker = TurnMarker.from_event(event)
    assert marker is not None and marker.topic == "cost" and marker.clinic_words


def test_a_clinic_answer_to_someone_who_spoke_of_themselves_acknowledges_them_first(
    domain_responses: Dict[str, Any],
) -> None:
    context = replace(CLINIC, concerns=("feelings",), acknowledge=True)
    turn = compose_turn("utter_clinic/hours", domain_responses["utter_clinic/hours"][0], context)
    text = turn["text"]
    assert text.startswith("That sounds really hard, and I'm sorry you're going through it.")
    assert text.index("going through it") < text.index("Monday to Friday")
    # The article's "for your own situation" line is not the clinic's to say; its contact is.
    assert "That is what the article says" not in text and "To ask Harbour Clinic" in text
    assert turn["custom"]["acknowledged"] == "feelings" and turn["custom"]["clinic_words"]
    plain = compose_turn("utter_clinic/hours", domain_responses["utter_clinic/hours"][0], CLINIC)
    assert "acknowledged" not in plain["custom"]
