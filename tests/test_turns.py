"""The notice, the referral, crisis lines and the marker hold on every response and context."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any, Dict, List

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.nlg import ClinicNaturalLanguageGenerator, context_for
from bot.settings import ClinicContact, Settings
from bot.topics import MENU, load_topics
from bot.turns import (
    BUILT_IN_RESPONSES,
    GENERAL_REFERRAL,
    KIND_BY_RESPONSE,
    KINDS,
    NOTICE,
    REFERRAL_KINDS,
    TurnContext,
    compose_check_in,
    compose_turn,
    kind_of,
    unavailable_turn,
)

CLINIC = ClinicContact("Bright Path Clinic", "+1 (555) 010-0199", "https://bright.example/book")
CONTEXTS = {
    "no clinic, US": TurnContext(Settings(), ClinicContact(), "US"),
    "clinic, US": TurnContext(Settings(), CLINIC, "US"),
    "phone only, GB": TurnContext(Settings(), ClinicContact(phone="0161 496 0000"), "GB"),
    "unknown region": TurnContext(Settings(), ClinicContact(), "ZZ"),
}


def all_turns(domain_responses: Dict[str, List[Dict[str, Any]]]) -> List[tuple]:
    turns = []
    for name, variations in {
        **domain_responses,
        **{n: [{"text": t}] for n, t in BUILT_IN_RESPONSES.items()},
    }.items():
        for variation in variations:
            for label, context in CONTEXTS.items():
                turns.append((name, label, compose_turn(name, variation, context)))
    return turns


def test_every_domain_response_has_a_declared_kind(domain_responses: Dict[str, Any]) -> None:
    for name in domain_responses:
        assert name.startswith("utter_faq/") or name in KIND_BY_RESPONSE, name
    assert set(KIND_BY_RESPONSE.values()) | {"answer"} == set(KINDS)


def test_every_topic_has_an_answer_and_every_answer_a_topic(
    domain_responses: Dict[str, Any],
) -> None:
    answers = {name.split("/", 1)[1] for name in domain_responses if name.startswith("utter_faq/")}
    assert answers == set(load_topics())


def test_every_turn_shows_the_notice_and_one_marker(domain_responses: Dict[str, Any]) -> None:
    turns = all_turns(domain_responses)
    assert len(turns) > 100
    for name, label, turn in turns:
        assert "not medical advice" in turn["text"], (name, label)
        assert turn["custom"]["kind"] == kind_of(name), (name, label)
        assert turn["custom"]["kind"] in KINDS


def test_answers_advice_and_not_covered_point_to_a_professional(
    domain_responses: Dict[str, Any],
) -> None:
    for name, label, turn in all_turns(domain_responses):
        kind = turn["custom"]["kind"]
        if kind not in REFERRAL_KINDS:
            continue
        if label == "no clinic, US" or label == "unknown region":
            assert GENERAL_REFERRAL in turn["text"], (name, label)
        elif label == "clinic, US":
            assert "Bright Path Clinic" in turn["text"]
            assert "(tel:+15550100199)" in turn["text"]
            assert "(https://bright.example/book)" in turn["text"]
        else:
            assert "(tel:01614960000)" in turn["text"], (name, label)


def test_answers_name_their_source_and_offer_two_to_four_related_topics(
    domain_responses: Dict[str, Any],
) -> None:
    topics = load_topics()
    for _name, _, turn in all_turns(domain_responses):
        if turn["custom"]["kind"] != "answer":
            continue
        topic = turn["custom"]["topic"]
        assert topics[topic].source in turn["text"]
        payloads = [button["payload"] for button in turn["buttons"]]
        assert 2 <= len(payloads) <= 4
        assert f"/faq/{topic}" not in payloads
        assert all(payload.startswith("/faq/") for payload in payloads)


def test_crisis_resources_come_first_with_call_and_text_links(
    domain_responses: Dict[str, Any],
) -> None:
    crisis = domain_responses["utter_crisis"][0]
    us = compose_turn("utter_crisis", crisis, CONTEXTS["no clinic, US"])
    assert us["text"].startswith("**If you or someone else may be in danger")
    assert "(tel:988)" in us["text"] and "(sms:988)" in us["text"] and "(tel:911)" in us["text"]
    assert "local emergency number" in us["text"]
    assert us["buttons"] == []  # nothing competes with the resources
    gb = compose_turn("utter_crisis", crisis, CONTEXTS["phone only, GB"])
    assert "(tel:116123)" in gb["text"] and "(tel:999)" in gb["text"] and "988" in gb["text"]
    elsewhere = compose_turn("utter_crisis", crisis, CONTEXTS["unknown region"])
    assert "local emergency number" in elsewhere["text"] and "988" in elsewhere["text"]
    assert GENERAL_REFERRAL not in us["text"]


def test_a_clinic_crisis_line_is_listed_first() -> None:
    from bot.settings import HelpLine

    context = TurnContext(
        Settings(crisis_line=HelpLine("Our on-call nurse", call="555 0100")), ClinicContact(), "US"
    )
    text = compose_turn("utter_crisis", {"text": "We care."}, context)["text"]
    assert text.index("Our on-call nurse") < text.index("988")
    assert "(tel:5550100)" in text


def test_advice_offers_the_topics_nearest_to_the_message() -> None:
    context = TurnContext(
        Settings(), ClinicContact(), "US", nearby_topics=("ssri_blunting", "trauma")
    )
    buttons = compose_turn("utter_advice", {"text": "I can't advise."}, context)["buttons"]
    assert [b["payload"] for b in buttons][:2] == ["/faq/ssri_blunting", "/faq/trauma"]
    assert len(buttons) == 3


def test_menu_turns_offer_the_topic_menu(domain_responses: Dict[str, Any]) -> None:
    for name in (
        "utter_out_of_scope",
        "utter_fallback",
        "utter_capabilities",
        "utter_greet",
        "utter_acknowledge",
    ):
        turn = compose_turn(name, domain_responses[name][0], CONTEXTS["no clinic, US"])
        assert [b["payload"] for b in turn["buttons"]] == [f"/faq/{t}" for t in MENU]


def test_the_unavailable_turn_keeps_the_notice() -> None:
    turn = unavailable_turn(CONTEXTS["clinic, US"])
    assert "not medical advice" in turn["text"]
    assert turn["custom"]["kind"] == "fallback" and turn["custom"]["reason"] == "unavailable"
    assert turn["buttons"]


def test_the_generator_composes_every_response_with_the_page_settings(
    domain_responses: Dict[str, Any],
) -> None:
    domain = Domain.from_dict({"responses": domain_responses})
    generator = ClinicNaturalLanguageGenerator(domain=domain)
    tracker = DialogueStateTracker.from_events(
        "page",
        [UserUttered("hi", metadata={"clinic_name": "Harbour Clinic", "region": "AU"})],
    )
    names = list(domain_responses) + list(BUILT_IN_RESPONSES)
    for name in names:
        turn = asyncio.run(generator.generate(name, tracker, "rest"))
        assert turn is not None, name
        assert "not medical advice" in turn["text"], name
        if turn["custom"]["kind"] in REFERRAL_KINDS:
            assert "Harbour Clinic" in turn["text"], name
        if turn["custom"]["kind"] == "crisis":
            assert "(tel:000)" in turn["text"] and "13 11 14" in turn["text"]
    assert asyncio.run(generator.generate("utter_no_such_response", tracker, "rest")) is None


def test_context_ignores_invalid_page_values() -> None:
    context = context_for({"clinic_name": "<b>x</b>", "region": "US1", "booking_url": "http://x"})
    assert context.contact == context.settings.contact
    assert context.region == context.settings.crisis_region


@pytest.mark.parametrize("name", ["utter_faq/not_a_topic", "utter_something_new"])
def test_unknown_responses_are_never_answers_without_a_topic(name: str) -> None:
    turn = compose_turn(name, {"text": "x"}, CONTEXTS["no clinic, US"])
    assert "not medical advice" in turn["text"]
    assert turn["custom"]["kind"] in ("answer", "fallback")


def test_after_a_crisis_every_later_turn_keeps_the_resources(
    domain_responses: Dict[str, Any],
) -> None:
    for region, link in (("US", "(tel:988)"), ("GB", "(tel:116123)"), ("ZZ", "local emergency")):
        context = TurnContext(Settings(), ClinicContact(), region, crisis_earlier=True)
        for name, variations in domain_responses.items():
            turn = compose_turn(name, variations[0], context)
            assert link in turn["text"], (region, name)
            assert turn["custom"]["crisis_resources"] is True
            assert "not medical advice" in turn["text"]


ANSWERABLE = ("utter_advice", "utter_not_covered", "utter_faq/bdnf", "utter_faq/integration")


@pytest.mark.parametrize("answer_name", ANSWERABLE)
def test_a_check_in_answers_then_shows_the_lines_and_asks(
    domain_responses: Dict[str, Any], answer_name: str
) -> None:
    question = domain_responses["utter_check_in"][0]
    answer = domain_responses[answer_name][0]
    for region, link in (("US", "(tel:988)"), ("GB", "(tel:116123)"), ("ZZ", "local emergency")):
        for label, base in CONTEXTS.items():
            context = replace(base, region=region)
            turn = compose_check_in(answer_name, answer, question, context)
            text = turn["text"]
            first_words = answer["text"].split()[:6]
            assert " ".join(first_words) in " ".join(text.split()), (answer_name, label)
            assert link in text, (region, label)
            assert text.index(link) < text.index("ending your life or hurting yourself")
            assert text.endswith(f"_{NOTICE}_")
            assert [b["payload"] for b in turn["buttons"]] == ["/affirm", "/deny"]
            marker = turn["custom"]
            assert marker["kind"] == "check_in" and marker["crisis_resources"] is True
            assert marker["answer_kind"] == kind_of(answer_name)
            assert marker.get("topic") == ("bdnf" if answer_name.endswith("bdnf") else
                                           "integration" if "integration" in answer_name else None)


def _parse(intent: str, ranking: List[str], decision: str) -> UserUttered:
    return UserUttered(
        "a message",
        intent={"name": intent, "confidence": 1.0},
        parse_data={
            "intent": {"name": intent, "confidence": 1.0},
            "intent_ranking": [{"name": name, "confidence": 0.5} for name in ranking],
            "crisis": {"decision": decision, "rules": [], "contexts": [], "check_in": True},
        },
    )


@pytest.mark.parametrize(
    "ranking, answer_kind, topic",
    [
        (["check_in", "faq/bdnf", "personal_advice"], "answer", "bdnf"),
        (["check_in", "personal_advice", "faq/bdnf"], "advice", None),
        (["check_in", "not_covered"], "not_covered", None),
        (["check_in", "out_of_scope", "greet"], "advice", None),
        (["check_in"], "advice", None),
    ],
)
def test_the_generator_answers_a_check_in_with_the_best_guess_below_it(
    domain_responses: Dict[str, Any], ranking: List[str], answer_kind: str, topic: Any
) -> None:
    generator = ClinicNaturalLanguageGenerator(
        domain=Domain.from_dict({"responses": domain_responses})
    )
    tracker = DialogueStateTracker.from_events("unsure", [_parse("check_in", ranking, "check_in")])
    turn = asyncio.run(generator.generate("utter_check_in", tracker, "rest"))
    assert turn is not None and "(tel:988)" in turn["text"]
    assert turn["custom"]["kind"] == "check_in"
    assert turn["custom"]["answer_kind"] == answer_kind
    assert turn["custom"].get("topic") == topic


def test_after_a_check_in_later_turns_keep_the_lines(domain_responses: Dict[str, Any]) -> None:
    from rasa.shared.core.events import BotUttered

    generator = ClinicNaturalLanguageGenerator(
        domain=Domain.from_dict({"responses": domain_responses})
    )
    check_in = BotUttered("asked", data={"custom": {"kind": "check_in"}})
    events = [_parse("check_in", ["check_in"], "check_in"), check_in, UserUttered("no")]
    tracker = DialogueStateTracker.from_events("asked", events)
    turn = asyncio.run(generator.generate("utter_check_in_declined", tracker, "rest"))
    assert turn is not None and "(tel:988)" in turn["text"]
    assert turn["custom"]["kind"] == "smalltalk" and turn["custom"]["crisis_resources"] is True


@pytest.mark.parametrize(
    "concerns, medications, treatments, expected",
    [
        (("medication_practical",), ("lamotrigine",), (), "question about your lamotrigine"),
        (("medication_practical",), (), (), "practical question about your medication"),
        (("treatment_for_me",), (), ("ketamine",), "whether ketamine could be right for you"),
        (("diagnosis",), (), (), "whether it has a name"),
        (("feelings", "help_seeking"), (), (), "That sounds really hard"),
        (("help_seeking",), (), (), "looking for a way through"),
        ((), (), (), "Thank you for telling me"),
    ],
)
def test_advice_first_acknowledges_what_the_person_said(
    domain_responses: Dict[str, Any],
    concerns: tuple,
    medications: tuple,
    treatments: tuple,
    expected: str,
) -> None:
    advice = domain_responses["utter_advice"][0]
    context = replace(
        CONTEXTS["no clinic, US"],
        concerns=concerns,
        medications=medications,
        treatments=treatments,
    )
    text = compose_turn("utter_advice", advice, context)["text"]
    assert expected in text
    assert text.index(expected) < text.index("I can't advise")


def test_the_generator_remembers_a_crisis_until_the_session_ends(
    domain_responses: Dict[str, Any],
) -> None:
    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted

    generator = ClinicNaturalLanguageGenerator(
        domain=Domain.from_dict({"responses": domain_responses})
    )
    crisis = BotUttered("resources", data={"custom": {"kind": "crisis"}})
    events = [UserUttered("i want to die"), crisis, UserUttered("what is bdnf")]
    during = DialogueStateTracker.from_events("crisis", events)
    turn = asyncio.run(generator.generate("utter_faq/bdnf", during, "rest"))
    assert turn is not None and "(tel:988)" in turn["text"]
    after = DialogueStateTracker.from_events(
        "crisis",
        [*events, ActionExecuted("action_session_start"), SessionStarted(), UserUttered("hi")],
    )
    turn = asyncio.run(generator.generate("utter_faq/bdnf", after, "rest"))
    assert turn is not None and "988" not in turn["text"]
    assert "crisis_resources" not in turn["custom"]


@pytest.mark.parametrize("category", ["overdose", "medical_emergency"])
def test_a_body_in_danger_puts_the_emergency_number_before_the_crisis_lines(
    domain_responses: Dict[str, Any], category: str
) -> None:
    crisis = domain_responses["utter_crisis"][0]
    context = replace(CONTEXTS["no clinic, US"], crisis_categories=(category,))
    text = compose_turn("utter_crisis", crisis, context)["text"]
    assert text.startswith("**If someone has taken too much") and "(tel:911)" in text
    assert text.index("(tel:911)") < text.index("(tel:988)")
    gb = replace(CONTEXTS["phone only, GB"], crisis_categories=(category,))
    assert compose_turn("utter_crisis", crisis, gb)["text"].startswith("**If someone")
    other = replace(CONTEXTS["no clinic, US"], crisis_categories=("suicidal_direct",))
    assert compose_turn("utter_crisis", crisis, other)["text"].startswith("**If you or someone")


def test_advice_names_the_medication_or_treatment_the_person_wrote(
    domain_responses: Dict[str, Any],
) -> None:
    advice = domain_responses["utter_advice"][0]
    base = CONTEXTS["no clinic, US"]
    on_meds = replace(base, medications=("sertraline", "lithium"), treatments=("ketamine",))
    text = compose_turn("utter_advice", advice, on_meds)["text"]
    assert "your own sertraline and lithium" in text and text.endswith(f"_{NOTICE}_")
    assert "prescriber or pharmacist" in text
    on_ketamine = compose_turn("utter_advice", advice, replace(base, treatments=("ketamine",)))
    assert "Whether ketamine is right for you" in on_ketamine["text"]
    plain = compose_turn("utter_advice", advice, base)["text"]
    assert "prescriber or pharmacist" not in plain and "right for you is for" not in plain
