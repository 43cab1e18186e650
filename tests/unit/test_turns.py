"""The notice, the referral, crisis lines and the marker hold on every response and context."""

from __future__ import annotations

import ast
import asyncio
import re
from dataclasses import replace
from datetime import datetime
from typing import Any, Dict, List, Optional
from zoneinfo import ZoneInfo

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.crisis_lines import CRISIS_LINES_BY_REGION, HelpLine
from bot.nlg import ClinicNaturalLanguageGenerator
from bot.page_context import context_for
from bot.settings import ClinicContact, Settings
from bot.topics import MENU, load_topics, topic_of_response
from bot.turns import (
    BUILT_IN_RESPONSES,
    CHECK_IN_ANSWER_LEAD,
    GENERAL_REFERRAL,
    KIND_BY_RESPONSE,
    KINDS,
    NOTICE,
    REFERRAL_KINDS,
    TurnContext,
    compose_check_in,
    compose_turn,
    crisis_reminder,
    crisis_resources,
    danger_line,
    in_language,
    kind_of,
    short_answer,
    unavailable_turn,
)

from conftest import ROOT

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
        assert name.startswith(("utter_faq/", "utter_clinic/")) or name in KIND_BY_RESPONSE, name
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
    # Nothing competes with the resources but the question that opens the crisis conversation.
    assert [b["payload"] for b in us["buttons"]] == ["/safe_now", "/deny", "/unsure"]
    assert us["text"].index("(tel:911)") < us["text"].index("**Are you safe right now?**")
    gb = compose_turn("utter_crisis", crisis, CONTEXTS["phone only, GB"])
    assert "(tel:116123)" in gb["text"] and "(tel:999)" in gb["text"] and "988" in gb["text"]
    elsewhere = compose_turn("utter_crisis", crisis, CONTEXTS["unknown region"])
    assert "local emergency number" in elsewhere["text"] and "988" in elsewhere["text"]
    assert GENERAL_REFERRAL not in us["text"]


# A Wednesday, in the clinic's time zone: 10:00 (open on weekdays 9-17) and 22:00 (closed).
WEDNESDAY_10 = datetime(2026, 12, 2, 10, 0, tzinfo=ZoneInfo("America/Chicago"))
WEDNESDAY_22 = datetime(2026, 12, 2, 22, 0, tzinfo=ZoneInfo("America/Chicago"))


def clinic_crisis_text(hours: Optional[str], now: datetime, zone: Optional[str] = None) -> str:
    settings = Settings(
        crisis_line=HelpLine("Our on-call nurse", call="555 0100", hours=hours),
        crisis_timezone=zone or "America/Chicago",
    )
    context = TurnContext(settings, ClinicContact(), "US", now=now)
    return compose_turn("utter_crisis", {"text": "We care."}, context)["text"]


def test_a_clinic_crisis_line_open_now_or_always_is_listed_first() -> None:
    for hours, now in (("24/7", WEDNESDAY_22), ("Mon-Fri 9:00-17:00", WEDNESDAY_10)):
        text = clinic_crisis_text(hours, now)
        assert text.index("Our on-call nurse") < text.index("988"), hours
        assert "(tel:5550100)" in text and "closed now" not in text


def test_a_clinic_crisis_line_closed_now_comes_after_the_lines_open_day_and_night() -> None:
    text = clinic_crisis_text("Mon-Fri 9:00-17:00", WEDNESDAY_22)
    assert text.index("988") < text.index("Our on-call nurse") < text.index("In an emergency")
    assert "(Our on-call nurse, Mon-Fri 9:00-17:00, closed now): [call 555 0100]" in text


@pytest.mark.parametrize("hours", [None, "weekdays, office hours"])
def test_a_clinic_crisis_line_with_hours_unknown_or_unread_comes_after_with_them_as_written(
    hours: Optional[str],
) -> None:
    text = clinic_crisis_text(hours, WEDNESDAY_10)
    assert text.index("988") < text.index("Our on-call nurse") < text.index("In an emergency")
    about = "Our on-call nurse" + (f", {hours}" if hours else "")
    assert f"({about}): [call 555 0100]" in text and "closed now" not in text


def test_the_unavailable_crisis_turn_says_day_or_night_only_over_lines_open_day_and_night() -> None:
    settings = Settings(
        crisis_line=HelpLine("Our on-call nurse", call="555 0100", hours="Mon-Fri 9:00-17:00"),
        crisis_timezone="America/Chicago",
    )
    context = TurnContext(settings, ClinicContact(), "US", now=WEDNESDAY_22)
    text = unavailable_turn(context, crisis=True)["text"]
    lines = [line for line in text.splitlines() if line.startswith("- ")]
    assert "988" in lines[0] and "24/7" in lines[0]
    assert "closed now" in next(line for line in lines if "Our on-call nurse" in line)


def test_the_reminder_says_when_the_clinics_line_is_closed() -> None:
    line = HelpLine("Our on-call nurse", call="555 0100", hours="Mon-Fri 9:00-17:00")
    reminder = crisis_reminder("US", line, zone="America/Chicago", now=WEDNESDAY_22)
    assert "(Our on-call nurse, Mon-Fri 9:00-17:00, closed now: [call 555 0100]" in reminder
    assert reminder.index("988") < reminder.index("Our on-call nurse")


def test_a_region_without_lines_gets_a_helpline_directory_not_a_universal_us_number() -> None:
    card = crisis_resources("ZZ", None)
    assert "- Wherever you are: call your local emergency number" in card
    assert "[findahelpline.com](https://findahelpline.com)" in card
    assert "- In the US: " in card  # the US lines, labelled as the US's
    reminder = crisis_reminder("ZZ", None)
    assert "local emergency number" in reminder and "https://findahelpline.com" in reminder
    assert "findahelpline" not in crisis_resources("GB", None)


def test_a_line_named_by_its_number_is_not_named_twice() -> None:
    ireland = crisis_resources("IE", None)
    assert "- Text **50808** (24/7): [text 50808](sms:50808)" in ireland
    assert "(50808" not in ireland and "(50808" not in crisis_reminder("IE", None)
    assert "(50808)" not in danger_line("IE")
    line = HelpLine("555 0100", call="555 0100")
    assert "- Call **555 0100**: [call 555 0100](tel:5550100)" in crisis_resources("US", line)


def test_australias_lifeline_takes_texts_on_its_own_number() -> None:
    text = crisis_resources("AU", None)
    assert "Call **13 11 14**, or text **0477 13 11 14** (Lifeline, 24/7)" in text
    assert "(tel:131114)" in text and "(sms:0477131114)" in text


def test_988_offers_its_chat_in_english_and_in_spanish() -> None:
    us = crisis_resources("US", None)
    assert "[chat online](https://988lifeline.org/chat)" in us
    spanish = crisis_resources("US", None, language="es")
    assert "[chatear en línea](https://988lifeline.org/es/chat)" in spanish
    # Outside the US, the US line comes with its chat too.
    assert "[chat online](https://988lifeline.org/chat)" in crisis_resources("GB", None)
    assert "https://988lifeline.org/chat" in crisis_reminder("US", None)


def test_a_spanish_card_says_which_services_answer_only_in_english() -> None:
    spanish = crisis_resources("US", None, language="es")
    own = next(line for line in spanish.splitlines() if "en español" in line)
    assert "en inglés" not in own
    uk = crisis_resources("GB", None, language="es")
    assert "(Samaritans, 24/7, en inglés)" in uk and "(Shout, 24/7, en inglés)" in uk
    # The US line for a visitor outside the US is the Spanish one: nothing to mark.
    in_us = next(line for line in uk.splitlines() if line.startswith("- En EE. UU."))
    assert "en inglés" not in in_us and "https://988lifeline.org/es/chat" in in_us
    assert "Samaritans, en inglés" in crisis_reminder("GB", None, language="es")
    # Nobody said what the clinic's line speaks: nothing is said of it.
    nurse = crisis_resources("US", HelpLine("Our nurse", call="555 0100"), language="es")
    assert "(Our nurse): " in nurse
    assert "en inglés" not in crisis_resources("US", None)


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


def test_the_channels_build_a_turn_context_without_the_response_generator() -> None:
    for module in ("bot/channels.py", "bot/page_context.py"):
        tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert "bot.nlg" not in imported, module


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


# What the check-in may add to its question and lines: a short answer, not the whole of it.
CHECK_IN_ANSWER_MAX_WORDS = 75


@pytest.mark.parametrize("answer_name", ANSWERABLE)
def test_a_check_in_asks_first_then_the_lines_then_a_short_answer(
    domain_responses: Dict[str, Any], answer_name: str
) -> None:
    question = domain_responses["utter_check_in"][0]
    answer = domain_responses[answer_name][0]
    for region, link in (("US", "(tel:988)"), ("GB", "(tel:116123)"), ("ZZ", "local emergency")):
        for label, base in CONTEXTS.items():
            context = replace(base, region=region)
            turn = compose_check_in(answer_name, answer, question, context)
            text = turn["text"]
            # The question leads, then the lines, then the answer's opening.
            assert text.startswith(question["text"].strip()), (answer_name, label)
            first_words = " ".join(answer["text"].split()[:6])
            assert first_words in " ".join(text.split()), (answer_name, label)
            assert link in text, (region, label)
            assert (
                text.index("ending your life or hurting yourself")
                < text.index(link)
                < text.index(CHECK_IN_ANSWER_LEAD)
            )
            answer_part = next(p for p in text.split("\n\n") if p.startswith(CHECK_IN_ANSWER_LEAD))
            assert len(answer_part.split()) <= CHECK_IN_ANSWER_MAX_WORDS, (answer_name, label)
            assert text.endswith(f"_{NOTICE}_")
            payloads = [b["payload"] for b in turn["buttons"]]
            assert payloads[:2] == ["/affirm", "/deny"]
            # An article answer cut short is one tap away, whole.
            topic = topic_of_response(answer_name)
            assert payloads[2:] == ([f"/faq/{topic}"] if topic else [])
            marker = turn["custom"]
            assert marker["kind"] == "check_in" and marker["crisis_resources"] is True
            assert marker["answer_kind"] == kind_of(answer_name)
            assert marker.get("topic") == (
                "bdnf"
                if answer_name.endswith("bdnf")
                else "integration"
                if "integration" in answer_name
                else None
            )


def test_a_check_in_is_shorter_than_it_was(domain_responses: Dict[str, Any]) -> None:
    """Issue 18: the check-in used to carry the whole answer before its question."""
    question = domain_responses["utter_check_in"][0]
    answer = domain_responses["utter_faq/bdnf"][0]
    turn = compose_check_in("utter_faq/bdnf", answer, question, CONTEXTS["no clinic, US"])
    assert len(turn["text"].split()) < len(answer["text"].split()) + 60
    assert short_answer(answer["text"]) in turn["text"]
    assert answer["text"].strip() not in turn["text"]


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


@pytest.mark.parametrize(
    "concerns, medications, expected_note",
    [
        (("feelings",), (), "a professional who knows you"),
        (("help_seeking",), ("sertraline",), "your own sertraline"),
    ],
)
def test_an_answer_to_someone_who_spoke_of_themselves_acknowledges_them_first(
    domain_responses: Dict[str, Any], concerns: tuple, medications: tuple, expected_note: str
) -> None:
    answer = domain_responses["utter_faq/ssri_nonresponse"][0]
    context = replace(
        CONTEXTS["clinic, US"], concerns=concerns, medications=medications, acknowledge=True
    )
    turn = compose_turn("utter_faq/ssri_nonresponse", answer, context)
    text = turn["text"]
    first_words = answer["text"].strip()[:40]
    assert text.index(first_words) > 0, "the acknowledgement comes before the answer"
    assert text.index(expected_note) > text.index(first_words)
    assert turn["custom"]["kind"] == "answer"
    assert turn["custom"]["topic"] == "ssri_nonresponse"
    assert turn["custom"]["acknowledged"] == concerns[0]
    assert "not medical advice" in text
    check_in = compose_check_in(
        "utter_faq/ssri_nonresponse", answer, {"text": "Are you safe?"}, context
    )
    assert check_in["custom"]["acknowledged"] == concerns[0]
    assert check_in["text"].index(first_words) > 0


def test_an_answer_acknowledges_nobody_unless_the_message_spoke_of_the_writer(
    domain_responses: Dict[str, Any],
) -> None:
    answer = domain_responses["utter_faq/bdnf"][0]
    plain = compose_turn("utter_faq/bdnf", answer, CONTEXTS["no clinic, US"])
    concerned = replace(CONTEXTS["no clinic, US"], concerns=("feelings",), acknowledge=False)
    for context in (CONTEXTS["no clinic, US"], concerned):
        turn = compose_turn("utter_faq/bdnf", answer, context)
        assert "acknowledged" not in turn["custom"]
        assert turn["text"] == plain["text"]
    advice = replace(CONTEXTS["no clinic, US"], concerns=("feelings",), acknowledge=True)
    turn = compose_turn("utter_advice", domain_responses["utter_advice"][0], advice)
    assert "acknowledged" not in turn["custom"], "advice acknowledges in its own way"


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


# --- crisis lines: every line of the region, each way in with its own verb, hours from data -----

BOLD = re.compile(r"\*\*(.+?)\*\*")
LINK = re.compile(r"\[([^\]]+)\]\(((?:tel|sms):[+0-9]+)\)")


def crisis_text(region: str, settings: Optional[Settings] = None, **context: Any) -> str:
    turn_context = TurnContext(settings or Settings(), ClinicContact(), region, **context)
    return compose_turn("utter_crisis", {"text": "We care."}, turn_context)["text"]


@pytest.mark.parametrize("region", sorted(CRISIS_LINES_BY_REGION))
def test_every_line_of_the_region_is_listed_with_its_own_verb_link_and_hours(region: str) -> None:
    text = crisis_text(region)
    items = [line for line in text.splitlines() if line.startswith("- ")]
    regional = CRISIS_LINES_BY_REGION[region]
    for line in regional.lines:
        about = line.hours if line.named_by_number() else f"{line.name}, {line.hours}"
        item = next(item for item in items if f"({about})" in item)
        links = LINK.findall(item)
        if line.call:
            assert item.startswith(f"- Call {'or text ' if line.text == line.call else ''}**")
            assert ("call " + line.call, f"tel:{line.call.replace(' ', '')}") in links
        if line.text and line.text_keyword:
            assert f"ext **{line.text_keyword}** to **{line.text}**" in item
            label = f"text {line.text_keyword} to {line.text}"
            assert (label, f"sms:{line.text}") in links
        elif line.text:
            assert f"text **{line.text}**" in item.lower()
            assert ("text " + line.text, f"sms:{line.text.replace(' ', '')}") in links
    for number in regional.emergency:
        assert f"**{number}**" in text and f"(tel:{number})" in text


def test_the_uk_and_ireland_have_their_text_lines() -> None:
    uk = crisis_text("GB")
    assert "- Text **SHOUT** to **85258** (Shout, 24/7): [text SHOUT to 85258](sms:85258)" in uk
    assert "(tel:116123)" in uk and "(tel:999)" in uk
    ireland = crisis_text("IE")
    assert "- Text **50808** (24/7): [text 50808](sms:50808)" in ireland
    assert "call **112** or **999**" in ireland and "(tel:112)" in ireland
    assert "(tel:999)" in ireland and "(tel:116123)" in ireland


def test_hours_come_from_each_lines_data_and_a_clinic_sets_its_own_or_none() -> None:
    unknown = Settings(crisis_line=HelpLine("Our on-call nurse", call="555 0100"))
    text = crisis_text("US", unknown)
    assert "(Our on-call nurse): [call 555 0100](tel:5550100)" in text
    assert "(988 Suicide & Crisis Lifeline, 24/7)" in text
    hours = "Mon-Fri 9:00-17:00"
    stated = Settings(crisis_line=HelpLine("Our nurse", call="555 0100", hours=hours))
    assert "(Our nurse, Mon-Fri 9:00-17:00)" in crisis_text("US", stated)
    assert text.count("24/7") == sum(1 for _ in CRISIS_LINES_BY_REGION["US"].lines)


def test_a_text_only_clinic_line_is_offered_as_a_text() -> None:
    line = HelpLine("Clinic text line", text="555 0123")
    text = crisis_text("US", Settings(crisis_line=line))
    assert "- Text **555 0123** (Clinic text line): [text 555 0123](sms:5550123)" in text


def shown_bold(text: str) -> List[str]:
    """What a reader sees in bold: bold spans, without the links inside them."""
    return [LINK.sub("", span) for span in BOLD.findall(text)]


@pytest.mark.parametrize(
    "region, numbers", [("US", ["911"]), ("GB", ["999"]), ("AU", ["000"]), ("IE", ["112", "999"])]
)
@pytest.mark.parametrize("category", ["overdose", "medical_emergency"])
def test_the_emergency_number_stays_bold_inside_the_body_in_danger_line(
    region: str, numbers: List[str], category: str
) -> None:
    text = crisis_text(region, crisis_categories=(category,))
    first = text.split("\n\n")[0]
    assert first.startswith("**If someone has taken too much")
    for number in numbers:
        assert any(number in span for span in shown_bold(first)), (number, first)
        assert f"(tel:{number})" in first
    # Bold never opens inside bold: every marker pairs up in reading order.
    assert first.count("**") % 2 == 0 and "** **" not in first


def test_after_a_crisis_the_reminder_keeps_the_regions_lines_and_adds_the_clinics() -> None:
    clinic = Settings(crisis_line=HelpLine("Our on-call nurse", call="555 0100"))
    for region, needed in (
        ("US", ["(tel:988)", "(sms:988)", "(tel:911)"]),
        ("GB", ["(tel:116123)", "(sms:85258)", "(tel:999)"]),
        ("IE", ["(tel:116123)", "(sms:50808)", "(tel:112)", "(tel:999)"]),
        ("ZZ", ["local emergency number"]),
    ):
        for settings in (Settings(), clinic):
            context = TurnContext(settings, ClinicContact(), region, crisis_earlier=True)
            text = compose_turn("utter_faq/bdnf", {"text": "BDNF is a protein."}, context)["text"]
            reminder = next(part for part in text.split("\n\n") if "still in danger" in part)
            for link in needed:
                assert link in reminder, (region, link)
            if settings is clinic:
                assert "(tel:5550100)" in reminder


def test_the_greeting_names_the_configured_regions_line(domain_responses: Dict[str, Any]) -> None:
    greet = domain_responses["utter_greet"][0]
    expected = {
        "US": "988",
        "CA": "988",
        "GB": "116 123",
        "IE": "50808",
        "AU": "13 11 14",
        "NZ": "1737",
    }
    for region, number in expected.items():
        text = compose_turn("utter_greet", greet, replace(CONTEXTS["no clinic, US"], region=region))
        assert f"**{number}**" in text["text"], region
        if region not in ("US", "CA"):
            assert "988" not in text["text"], region
    elsewhere = compose_turn("utter_greet", greet, CONTEXTS["unknown region"])["text"]
    assert "local emergency number" in elsewhere and "988" not in elsewhere


# --- the turn sent when the assistant produced nothing ------------------------------------------


@pytest.mark.parametrize(
    "region, link", [("US", "(tel:988)"), ("GB", "(sms:85258)"), ("ZZ", "local emergency number")]
)
def test_the_unavailable_turn_always_carries_the_regions_crisis_lines(
    region: str, link: str
) -> None:
    context = replace(CONTEXTS["no clinic, US"], region=region)
    turn = unavailable_turn(context)
    assert link in turn["text"] and turn["text"].endswith(f"_{NOTICE}_")
    assert turn["custom"] == {
        "kind": "fallback",
        "notice": NOTICE,
        "reason": "unavailable",
        "crisis_resources": True,
    }
    crisis = unavailable_turn(context, crisis=True)
    assert crisis["text"].startswith("**If you or someone else may be in danger")
    assert link in crisis["text"] and crisis["buttons"] == []
    assert crisis["custom"]["kind"] == "crisis" and crisis["custom"]["reason"] == "unavailable"


def test_the_unavailable_turn_speaks_spanish_to_a_spanish_message() -> None:
    context = replace(CONTEXTS["no clinic, US"], language="es")
    crisis = unavailable_turn(context, crisis=True)
    assert crisis["text"].startswith("**Si tú u otra persona puede estar en peligro")
    assert "marca el **2**" in crisis["text"] and "**AYUDA**" in crisis["text"]
    assert crisis["custom"]["language"] == "es" and crisis["custom"]["kind"] == "crisis"


# --- a message in another language ---------------------------------------------------------------


def test_a_spanish_message_gets_spanish_words_and_the_lines_that_answer_in_spanish(
    domain_responses: Dict[str, Any],
) -> None:
    spanish = replace(CONTEXTS["no clinic, US"], language="es")
    name = "utter_other_language"
    turn = compose_turn(name, in_language(name, domain_responses[name][0], "es"), spanish)
    text = turn["text"]
    assert "solo puedo responder en inglés" in text and "profesional" in text
    assert "only answer in English" not in text
    assert "Llama al **988** y marca el **2**, o envía **AYUDA** al **988**" in text
    assert "(tel:988)" in text and "(sms:988)" in text and "llama al **911**" in text
    assert "not medical advice" in text and "no es consejo médico" in text
    assert turn["custom"] == {
        "kind": "out_of_scope",
        "notice": NOTICE,
        "crisis_resources": True,
        "language": "es",
    }
    assert turn["buttons"] == []


def test_a_spanish_crisis_is_a_crisis_turn_in_spanish(domain_responses: Dict[str, Any]) -> None:
    crisis = in_language("utter_crisis", domain_responses["utter_crisis"][0], "es")
    context = replace(CONTEXTS["no clinic, US"], language="es", crisis_categories=("overdose",))
    turn = compose_turn("utter_crisis", crisis, context)
    text = turn["text"]
    assert text.startswith("**Si alguien ha tomado demasiado") and "(tel:911)" in text
    assert text.index("(tel:911)") < text.index("marca el **2**") < text.index("Me alegra mucho")
    # The whole assistant answers in Spanish now (issue 20): the crisis turn no longer says
    # it answers only in English.
    assert "Solo puedo" not in text
    assert turn["custom"]["kind"] == "crisis" and turn["custom"]["language"] == "es"
    uk = compose_turn("utter_crisis", crisis, replace(context, region="GB"))["text"]
    assert "Llama al **116 123**" in uk and "Envía **SHOUT** al **85258**" in uk
    assert "En EE. UU.: llama al **988** y marca el **2**" in uk and "Fuera del Reino Unido" in uk


def test_another_language_gets_the_same_turn_in_english_with_the_regions_lines(
    domain_responses: Dict[str, Any],
) -> None:
    response = domain_responses["utter_other_language"][0]
    assert in_language("utter_other_language", response, "fr") == response
    context = replace(CONTEXTS["phone only, GB"], language="fr")
    turn = compose_turn("utter_other_language", response, context)
    assert "only answer in English" in turn["text"] and "(tel:116123)" in turn["text"]
    assert "(sms:85258)" in turn["text"] and "no es consejo" not in turn["text"]
    assert turn["custom"]["language"] == "fr" and turn["custom"]["crisis_resources"] is True
    english = compose_turn("utter_faq/bdnf", {"text": "BDNF."}, CONTEXTS["no clinic, US"])
    assert "language" not in english["custom"]


def test_the_generator_answers_a_spanish_crisis_in_spanish(
    domain_responses: Dict[str, Any],
) -> None:
    generator = ClinicNaturalLanguageGenerator(
        domain=Domain.from_dict({"responses": domain_responses})
    )
    message = UserUttered(
        "quiero morir",
        intent={"name": "crisis", "confidence": 1.0},
        parse_data={
            "intent": {"name": "crisis", "confidence": 1.0},
            "language": "es",
            "crisis": {"decision": "crisis", "rules": ["suicidal"]},
        },
    )
    tracker = DialogueStateTracker.from_events("es", [message])
    turn = asyncio.run(generator.generate("utter_crisis", tracker, "rest"))
    assert turn is not None and "Me alegra mucho" in turn["text"]
    assert turn["custom"]["language"] == "es" and "marca el **2**" in turn["text"]


def test_the_nearest_answer_says_first_that_the_article_does_not_answer_exactly(
    domain_responses: Dict[str, Any],
) -> None:
    answer = domain_responses["utter_faq/depression_overview"][0]
    context = replace(CONTEXTS["no clinic, US"], nearest=True)
    turn = compose_turn("utter_faq/depression_overview", answer, context)
    assert turn["text"].index("doesn't answer exactly that") < turn["text"].index(
        answer["text"].strip()[:40]
    )
    assert turn["custom"]["kind"] == "answer" and turn["custom"]["nearest"] is True
    plain = compose_turn("utter_faq/depression_overview", answer, CONTEXTS["no clinic, US"])
    assert "doesn't answer exactly" not in plain["text"] and "nearest" not in plain["custom"]
    # Only an answer is a nearest answer: the not-covered turn says so in its own words.
    not_covered = compose_turn(
        "utter_not_covered", domain_responses["utter_not_covered"][0], context
    )
    assert "nearest" not in not_covered["custom"]
