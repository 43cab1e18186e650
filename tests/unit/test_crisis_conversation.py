"""The crisis conversation's turns, composed (bot.turns, bot.crisis_conversation), its session facts
(bot.session) and its two decisions rules cannot make (bot.crisis_policy). No server."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from datetime import datetime
from typing import Any, Dict, List, Optional, Sequence
from zoneinfo import ZoneInfo

import pytest
import yaml
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot import crisis_conversation
from bot.crisis_conversation import (
    FINISHED_PLAN,
    SUPPORT_RESPONSES,
    URGENT_RESPONSES,
    ConversationState,
    Plan,
    content,
    plan_slots,
)
from bot.crisis_lines import HelpLine
from bot.crisis_policy import (
    ASKS_A_QUESTION,
    POINTS_TO_SOMEONE,
    follow_up_due,
    plan_answer_after_all,
    yes_but_not_safe,
)
from bot.marker import PLAN_FINISHED, PLAN_OFFERED, PLAN_SHOWN, PLAN_STARTED, SUPPORT
from bot.nlg import ClinicNaturalLanguageGenerator, conversation_state, turn_context
from bot.session import crisis_conversation_language, in_crisis_conversation, plan_milestones
from bot.settings import ClinicContact, Settings
from bot.topics import MENU
from bot.turns import (
    NOTICE,
    NOTICE_ES,
    TurnContext,
    compose_turn,
    in_conversation,
    in_language,
    kind_of,
)

from conftest import ROOT

RESPONSES_FILE = ROOT / "data" / "responses" / "crisis_conversation.yml"
US = TurnContext(Settings(), ClinicContact(), "US")
INSIDE = replace(US, conversation=ConversationState(active=True), crisis_earlier=True)
MENU_PAYLOADS = {f"/faq/{topic}" for topic in MENU}
WAYS_FORWARD = ["/make_safety_plan", "/grounding", "/reach_out", "/something_else"]


def support_responses() -> Dict[str, Dict[str, Any]]:
    data = yaml.safe_load(RESPONSES_FILE.read_text(encoding="utf-8"))["responses"]
    return {name: variations[0] for name, variations in data.items()}


def payloads(turn: Dict[str, Any]) -> List[str]:
    return [button["payload"] for button in turn.get("buttons") or []]


# --- the content ---------------------------------------------------------------------------------


def test_the_support_turns_are_the_responses_file_and_all_of_kind_support() -> None:
    assert set(support_responses()) == SUPPORT_RESPONSES
    assert all(kind_of(name) == SUPPORT for name in SUPPORT_RESPONSES)
    assert kind_of("utter_crisis") == "crisis"


def test_every_support_turn_has_its_spanish_with_as_many_buttons() -> None:
    spanish = content().spanish
    for name, response in support_responses().items():
        assert spanish.get(name, {}).get("text"), name
        titles = spanish[name].get("buttons")
        buttons = response.get("buttons") or []
        assert (titles is None and not buttons) or len(titles) == len(buttons), name
    assert len(spanish["utter_crisis"]["buttons"]) == 3


# Safe messaging: ways to act and amounts are never named, in either language.
METHOD_WORDS = re.compile(
    r"\b(pills?|tablets?|overdose|knife|knives|gun|firearm|rope|hang|bridge|jump|poison|"
    r"pastillas?|cuchillo|pistola|cuerda|puente)\b",
    re.IGNORECASE,
)


def every_text() -> List[str]:
    texts = [response["text"] for response in support_responses().values()]
    data = content()
    texts += [entry.get("text", "") for entry in data.spanish.values()]
    texts += [text for table in data.in_conversation.values() for text in table.values()]
    texts += [str(value) for value in yaml.safe_dump(data.plan).splitlines()]
    return texts


def test_no_text_names_a_method_or_an_amount() -> None:
    for text in every_text():
        assert not METHOD_WORDS.search(text), text
        assert not re.search(r"\b\d+\s*(mg|milligrams?)\b", text, re.IGNORECASE), text


def test_sentences_are_short_and_plain() -> None:
    for name, response in support_responses().items():
        prose = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", response["text"])
        for sentence in re.split(r"(?<=[.!?:])\s+|\n+", prose):
            assert len(sentence.split()) <= 30, (name, sentence)


# The referral answers that state a fact name where it comes from.
SOURCED = (
    "utter_reach_out_what_happens",
    "utter_reach_out_police",
    "utter_reach_out_no_talking",
    "utter_reach_out_free_private",
    "utter_reach_out_not_bad_enough",
    "utter_reach_out_outside_us",
    "utter_means_safety",
)


def test_every_fact_of_the_referral_comes_with_its_source() -> None:
    responses = support_responses()
    spanish = content().spanish
    for name in SOURCED:
        assert "_Source" in responses[name]["text"], name
        assert "_Fuente" in spanish[name]["text"], name
    police = " ".join(responses["utter_reach_out_police"]["text"].split())
    assert "fewer than 2% of calls" in police and "988lifeline.org/privacy-policy" in police
    sources = (ROOT / "docs" / "crisis_conversation_sources.md").read_text(encoding="utf-8")
    for name in SOURCED + ("utter_grounding", "utter_reach_out_tried_before"):
        assert f"`{name}`" in sources, name


# --- the turns inside the conversation ------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SUPPORT_RESPONSES))
def test_every_support_turn_keeps_the_lines_the_notice_and_no_topic_menu(name: str) -> None:
    response = support_responses()[name]
    for region in ("US", "GB", "ZZ"):
        turn = compose_turn(name, response, replace(INSIDE, region=region))
        marker = turn["custom"]
        assert marker["kind"] == SUPPORT and marker["crisis_resources"] is True
        assert marker["notice"] == NOTICE and turn["text"].endswith(f"_{NOTICE}_")
        assert "local emergency number" in turn["text"] or "(tel:" in turn["text"]
        assert not MENU_PAYLOADS.intersection(payloads(turn)), name
        assert payloads(turn), name  # always a way forward, or the question's answers
        # A turn of the conversation's own says so by its kind, not by the key.
        assert "crisis_conversation" not in marker


@pytest.mark.parametrize("name", sorted(URGENT_RESPONSES))
def test_not_safe_puts_the_emergency_number_first_then_every_line(name: str) -> None:
    turn = compose_turn(name, support_responses()[name], INSIDE)
    text = turn["text"]
    assert text.startswith("**If you might act on these thoughts now, call 911")
    assert text.index("(tel:911)") < text.index("(tel:988)") < text.index("(sms:988)")
    words = " ".join(support_responses()[name]["text"].split()[:4])
    assert text.index("(sms:988)") < text.index(words)
    gb = compose_turn(name, support_responses()[name], replace(INSIDE, region="GB"))["text"]
    assert gb.startswith("**If you might act on these thoughts now, call 999")
    elsewhere = compose_turn(name, support_responses()[name], replace(INSIDE, region="ZZ"))
    assert elsewhere["text"].startswith("**If you might act on these thoughts now, call your local")


def test_an_overdose_named_in_the_answer_puts_the_body_first() -> None:
    context = replace(INSIDE, crisis_categories=("overdose",))
    text = compose_turn("utter_crisis_unsafe", support_responses()["utter_crisis_unsafe"], context)
    assert text["text"].startswith("**If someone has taken too much of something")


def test_not_safe_asks_whether_someone_can_be_there() -> None:
    turn = compose_turn("utter_crisis_unsafe", support_responses()["utter_crisis_unsafe"], INSIDE)
    assert (
        "**Can you stay with someone, or go somewhere safer, while you reach out?**"
        in (turn["text"])
    )
    assert payloads(turn) == ["/affirm", "/deny", "/reach_out"]


@pytest.mark.parametrize(
    "name, text",
    [
        ("utter_acknowledge", "Okay. Is there anything else you'd like to know? Pick a topic."),
        ("utter_thank", "You're welcome. Is there anything else you'd like to know?"),
        ("utter_greet", "Hi, I'm an automated assistant."),
        ("utter_fallback", "Sorry, I'm not sure I understood. Pick one of these topics."),
        ("utter_out_of_scope", "I can only help with questions about depression."),
        ("utter_capabilities", "I can explain what the article says."),
        ("utter_faq/bdnf", "BDNF stands for Brain-Derived Neurotrophic Factor."),
        ("utter_advice", "I can't advise on your own situation."),
        ("utter_not_covered", "The article doesn't cover it."),
    ],
)
def test_inside_the_conversation_no_turn_offers_a_topic_menu(name: str, text: str) -> None:
    response = in_conversation(name, {"text": text}, "en")
    turn = compose_turn(name, response, INSIDE)
    assert payloads(turn) == WAYS_FORWARD, name
    assert "(tel:988)" in turn["text"] and turn["custom"]["crisis_resources"] is True
    assert turn["custom"]["crisis_conversation"] is True
    assert "pick a topic" not in turn["text"].lower() and "pick one" not in turn["text"].lower()
    outside = compose_turn(name, {"text": text}, US)
    assert "crisis_conversation" not in outside["custom"]


def test_the_issues_turn_two_no_longer_offers_the_topic_menu() -> None:
    """ "yes" after a crisis used to get "Okay. Is there anything else you'd like to know?" and
    six topic buttons; now the crisis turn asks, and "yes" is the safe answer."""
    safe = compose_turn("utter_crisis_safe", support_responses()["utter_crisis_safe"], INSIDE)
    assert "glad you're safe" in safe["text"] and payloads(safe) == WAYS_FORWARD


def test_goodbye_inside_the_conversation_has_the_lines_and_nothing_to_tap() -> None:
    turn = compose_turn("utter_goodbye", {"text": "Take care of yourself."}, INSIDE)
    assert payloads(turn) == [] and "(tel:988)" in turn["text"]


def test_the_plans_button_follows_the_plan() -> None:
    def title(plan: Plan) -> str:
        state = ConversationState(active=True, plan=plan)
        turn = compose_turn("utter_thank", {"text": "x"}, replace(INSIDE, conversation=state))
        return turn["buttons"][0]["title"]

    assert title(Plan()) == "Make a safety plan"
    assert title(Plan(("when I stop sleeping",) + (None,) * 5)) == "Continue my safety plan"
    assert title(Plan(("a", False, "b", "c", "d", "e"))) == "See my safety plan"


# --- the safety plan ------------------------------------------------------------------------------

ASK_FIRST = "utter_ask_plan_warning_signs"
ASK_SECOND = "utter_ask_plan_coping"


def ask(name: str, state: ConversationState) -> Dict[str, Any]:
    return compose_turn(name, support_responses()[name], replace(INSIDE, conversation=state))


def test_the_plan_asks_one_step_at_a_time_each_skippable_with_a_way_out() -> None:
    slots = plan_slots()
    assert slots == (
        "plan_warning_signs",
        "plan_coping",
        "plan_distractions",
        "plan_people",
        "plan_professionals",
        "plan_environment",
    )
    for number, slot in enumerate(slots, start=1):
        turn = ask(f"utter_ask_{slot}", ConversationState(active=True))
        assert f"**Step {number} of 6:" in turn["text"]
        assert payloads(turn) == ["/skip", "/something_else"]


def test_the_first_question_says_how_the_plan_is_kept_and_later_ones_thank() -> None:
    first = ask(ASK_FIRST, ConversationState(active=True))
    assert "I keep it only for this conversation" in first["text"]
    assert first["custom"]["safety_plan"] == PLAN_STARTED
    answered = ask(
        ASK_SECOND,
        ConversationState(True, milestones=frozenset({PLAN_STARTED}), just_answered="music"),
    )
    assert answered["text"].startswith("Thank you.") and "safety_plan" not in answered["custom"]
    skipped = ask(ASK_SECOND, ConversationState(True, just_answered=False))
    assert skipped["text"].startswith("That's okay, we can leave that one.")
    resumed = ask(ASK_SECOND, ConversationState(True, milestones=frozenset({PLAN_STARTED})))
    assert resumed["text"].startswith("Let's pick up where you left off.")


def test_the_finished_plan_is_shown_whole_with_the_lines_in_step_five() -> None:
    plan = Plan(
        (
            "when I stop answering texts",
            False,
            "my sister and the park",
            "Sam, 555 0100",
            "Dr Lee",
            "my partner keeps things for me",
        )
    )
    state = ConversationState(active=True, plan=plan, milestones=frozenset({PLAN_STARTED}))
    turn = compose_turn(
        FINISHED_PLAN, support_responses()[FINISHED_PLAN], replace(INSIDE, conversation=state)
    )
    text = turn["text"]
    for number, answer in (
        (1, "when I stop answering texts"),
        (3, "my sister and the park"),
        (4, "Sam, 555 0100"),
        (6, "my partner keeps things for me"),
    ):
        assert re.search(rf"^{number}\. \*\*[^*]+:\*\* {re.escape(answer)}$", text, re.M), number
    assert "2. **Things I can do on my own:** (skipped)" in text
    step_five = next(line for line in text.splitlines() if line.startswith("5. "))
    assert "Dr Lee" in step_five and "(tel:988)" in step_five and "(tel:911)" in step_five
    assert turn["custom"]["safety_plan"] == PLAN_FINISHED
    again = replace(state, milestones=frozenset({PLAN_STARTED, PLAN_FINISHED}))
    shown_again = compose_turn(FINISHED_PLAN, {"text": "x"}, replace(INSIDE, conversation=again))
    assert shown_again["custom"]["safety_plan"] == PLAN_SHOWN


def test_the_persons_words_cannot_become_markdown_or_links() -> None:
    plan = Plan(("**loud** [click](https://evil.example) <b>x</b>",) + (None,) * 5)
    text = crisis_conversation.plan_text(plan, "en", "call 988")
    first = text.splitlines()[0]
    assert "evil.example" in first and "](" not in first and "**loud**" not in first
    assert "<b>" not in first
    long = crisis_conversation.plain_answer("word " * 200)
    assert len(long) <= crisis_conversation.MAX_ANSWER_CHARS


def test_the_plan_is_offered_once_in_a_session_for_insights() -> None:
    first = compose_turn("utter_crisis_safe", support_responses()["utter_crisis_safe"], INSIDE)
    assert first["custom"]["safety_plan"] == PLAN_OFFERED
    offered = ConversationState(active=True, milestones=frozenset({PLAN_OFFERED}))
    later = compose_turn("utter_thank", {"text": "x"}, replace(INSIDE, conversation=offered))
    assert "safety_plan" not in later["custom"]


# --- the enhanced referral: the clinic's line, open or closed now -------------------------------

NURSE = HelpLine("Our on-call nurse", call="555 0100", hours="Mon-Fri 9:00-17:00")


def referral(settings: Settings, now: Optional[datetime], region: str = "US") -> str:
    context = replace(INSIDE, settings=settings, region=region, now=now)
    name = "utter_reach_out_free_private"
    return compose_turn(name, support_responses()[name], context)["text"]


def test_the_clinics_line_is_said_open_or_closed_now_when_its_hours_can_be_read() -> None:
    settings = Settings(crisis_line=NURSE, crisis_timezone="America/Chicago")
    monday_10 = datetime(2026, 12, 7, 10, 0, tzinfo=ZoneInfo("America/Chicago"))
    monday_20 = datetime(2026, 12, 7, 20, 0, tzinfo=ZoneInfo("America/Chicago"))
    assert "**Our on-call nurse** is open now (Mon-Fri 9:00-17:00): call **555 0100**" in (
        referral(settings, monday_10)
    )
    assert "**Our on-call nurse** is closed now (Mon-Fri 9:00-17:00)" in referral(
        settings, monday_20
    )
    no_zone = referral(Settings(crisis_line=NURSE), monday_10)
    assert "**Our on-call nurse** (Mon-Fri 9:00-17:00): call" in no_zone
    assert "open now" not in no_zone and "closed now" not in no_zone
    assert "Our on-call nurse" not in referral(Settings(), monday_10)


def test_another_region_is_told_the_answer_is_about_988_and_samaritans_are_free() -> None:
    gb = referral(Settings(), None, "GB")
    assert "describe the US 988 Lifeline" in gb and "even with no credit" in gb
    assert "(tel:116123)" in gb
    assert "describe the US 988 Lifeline" not in referral(Settings(), None, "US")


# --- Spanish --------------------------------------------------------------------------------


def test_a_spanish_conversation_is_in_spanish_with_the_spanish_lines_first() -> None:
    context = replace(INSIDE, language="es")
    name = "utter_crisis_unsafe"
    response = in_language(name, support_responses()[name], "es")
    turn = compose_turn(name, response, context)
    text = turn["text"]
    assert text.startswith("**Si puedes llegar a actuar sobre estos pensamientos, llama ahora al")
    assert "marca el **2**" in text and "AYUDA" in text
    assert "¿Puedes quedarte con alguien" in text
    assert [b["title"] for b in turn["buttons"]] == [
        "Sí, puedo",
        "No, estoy solo/a",
        "Me da miedo pedir ayuda",
    ]
    assert f"_{NOTICE_ES}_" in text and turn["custom"]["language"] == "es"
    safe = in_language("utter_crisis_safe", support_responses()["utter_crisis_safe"], "es")
    buttons = compose_turn("utter_crisis_safe", safe, context)["buttons"]
    assert [b["title"] for b in buttons][0] == "Hacer un plan de seguridad"


def test_the_spanish_crisis_turn_asks_whether_the_person_is_safe() -> None:
    english = [
        ("Yes, I'm safe right now", "/safe_now"),
        ("No", "/deny"),
        ("I'm not sure", "/unsure"),
    ]
    buttons = [{"title": title, "payload": payload} for title, payload in english]
    crisis = in_language("utter_crisis", {"text": "x", "buttons": buttons}, "es")
    assert "**¿Estás a salvo ahora mismo?**" in crisis["text"]
    assert [b["title"] for b in crisis["buttons"]] == [
        "Sí, estoy a salvo",
        "No",
        "No estoy seguro/a",
    ]


# --- what the session knows (bot.session) and what a turn reads (bot.nlg) -------------------------


def bot(kind: str, language: Optional[str] = None, **extra: Any) -> BotUttered:
    custom: Dict[str, Any] = {"kind": kind, "notice": NOTICE, **extra}
    if language:
        custom["language"] = language
    return BotUttered("...", data={"custom": custom})


def user(text: str, intent: str, confidence: float = 1.0, language: str = "en") -> UserUttered:
    parse = {"intent": {"name": intent, "confidence": confidence}, "language": language}
    return UserUttered(text, intent=parse["intent"], parse_data=parse)


def test_the_conversation_starts_with_a_crisis_or_support_turn_and_lasts_the_session() -> None:
    assert not in_crisis_conversation([bot("answer"), bot("check_in")])
    assert in_crisis_conversation([bot("crisis"), bot("answer")])
    assert in_crisis_conversation([bot("support")])
    assert in_crisis_conversation([bot("answer", crisis_conversation=True)])
    assert not in_crisis_conversation([bot("crisis"), SessionStarted(), bot("answer")])


def test_the_conversation_keeps_the_language_it_was_in() -> None:
    assert crisis_conversation_language([bot("crisis", "es"), bot("support", "es")]) == "es"
    back_in_english = bot("answer", None, crisis_conversation=True)
    assert crisis_conversation_language([bot("crisis", "es"), back_in_english]) is None
    assert crisis_conversation_language([bot("answer", "es")]) is None


def test_plan_milestones_are_read_from_the_session() -> None:
    events = [bot("support", safety_plan="offered"), bot("support", safety_plan="started")]
    assert plan_milestones(events) == {"offered", "started"}
    assert plan_milestones([*events, SessionStarted()]) == frozenset()


def tracker(
    events: Sequence[Event], slots: Optional[Dict[str, Any]] = None
) -> DialogueStateTracker:
    domain = Domain.from_yaml((ROOT / "domain.yml").read_text(encoding="utf-8"))
    found = DialogueStateTracker.from_events("t", list(events), domain.slots)
    for name, value in (slots or {}).items():
        found.update(SlotSet(name, value))
    return found


def test_a_short_answer_in_a_spanish_conversation_is_answered_in_spanish() -> None:
    events = [
        user("quiero morir", "crisis", language="es"),
        bot("crisis", "es"),
        user("sí", "affirm"),
    ]
    context = turn_context(tracker(events))
    assert context.conversation.active and context.language == "es"
    english = [*events[:2], user("what does ketamine do to the brain", "faq")]
    assert turn_context(tracker(english)).language == "en"


def test_the_turn_reads_the_plan_and_what_the_message_answered() -> None:
    events = [
        bot("crisis"),
        user("when I stop sleeping", "personal_advice"),
        SlotSet("plan_warning_signs", "when I stop sleeping"),
    ]
    state = conversation_state(tracker(events), events)
    assert state.active and state.plan.answers[0] == "when I stop sleeping"
    assert state.just_answered == "when I stop sleeping"
    skipped = [*events, user("skip", "skip"), SlotSet("plan_coping", False)]
    assert conversation_state(tracker(skipped), skipped).just_answered is False
    assert conversation_state(tracker([user("hi", "greet")]), []).active is False


def test_the_generator_words_a_turn_inside_the_conversation(
    domain_responses: Dict[str, Any],
) -> None:
    generator = ClinicNaturalLanguageGenerator(
        domain=Domain.from_dict({"responses": domain_responses})
    )
    events = [
        user("i want to die", "crisis"),
        bot("crisis"),
        user("yes", "affirm"),
        bot("support"),
        user("thanks", "thank"),
    ]
    turn = asyncio.run(generator.generate("utter_thank", tracker(events), "rest"))
    assert turn is not None and turn["text"].startswith("You're welcome. I'm still here.")
    assert payloads(turn) == WAYS_FORWARD and turn["custom"]["crisis_conversation"] is True


# --- the two decisions rules cannot make (bot.crisis_policy) -------------------------------------


def action(name: str) -> ActionExecuted:
    return ActionExecuted(name)


def turn(text: str, intent: str, response: str, at: float) -> List[Event]:
    message = user(text, intent)
    message.timestamp = at
    said = BotUttered("...", data={"custom": {"kind": "support"}}, timestamp=at + 0.1)
    return [action("action_listen"), message, action(response), said]


def conversation(*turns: List[Event], then: Optional[UserUttered] = None) -> DialogueStateTracker:
    events: List[Event] = [event for one in turns for event in one]
    if then is not None:
        events += [action("action_listen"), then]
    return tracker(events)


def message(text: str, intent: str, at: float, confidence: float = 1.0) -> UserUttered:
    found = user(text, intent, confidence)
    found.timestamp = at
    return found


def test_the_follow_up_comes_a_few_turns_after_the_lines() -> None:
    lines = turn("i want to die", "crisis", "utter_crisis", 0)
    safe = turn("yes", "affirm", "utter_crisis_safe", 10)
    ok = turn("ok", "acknowledge", "utter_acknowledge", 20)
    assert not follow_up_due(conversation(lines, then=message("yes", "affirm", 5)), 3, 120)
    assert not follow_up_due(
        conversation(lines, safe, then=message("ok", "acknowledge", 15)), 3, 120
    )
    assert follow_up_due(conversation(lines, safe, ok, then=message("thanks", "thank", 25)), 3, 120)


def test_the_follow_up_waits_for_room_and_is_asked_once() -> None:
    lines = turn("i want to die", "crisis", "utter_crisis", 0)
    safe = turn("yes", "affirm", "utter_crisis_safe", 10)
    ok = turn("ok", "acknowledge", "utter_acknowledge", 20)
    question = conversation(lines, safe, ok, then=message("what is bdnf", "faq", 25))
    assert not follow_up_due(question, 3, 120)  # a question is answered first
    asked = turn("thanks", "thank", "utter_crisis_follow_up", 25)
    after = conversation(lines, safe, ok, asked, then=message("ok", "acknowledge", 30))
    assert not follow_up_due(after, 3, 120)
    assert not follow_up_due(conversation(ok, then=message("thanks", "thank", 30)), 3, 120)


def test_the_follow_up_comes_when_the_person_returns_after_a_while() -> None:
    police = turn("will they send the police", "reach_out_police", "utter_reach_out_police", 0)
    assert follow_up_due(conversation(police, then=message("hi", "greet", 600)), 3, 120)
    assert not follow_up_due(conversation(police, then=message("hi", "greet", 30)), 3, 120)


def test_the_follow_up_never_takes_the_place_of_an_answer_to_a_question() -> None:
    assert ASKS_A_QUESTION <= POINTS_TO_SOMEONE | {"utter_crisis_ask_safety", "utter_check_in"}
    lines = turn("i want to die", "crisis", "utter_crisis", 0)
    assert not follow_up_due(conversation(lines, then=message("no", "deny", 900)), 3, 120)


def in_plan(
    text: str, intent: str, confidence: float, filled: bool = False
) -> DialogueStateTracker:
    events: List[Event] = [
        action("safety_plan_form"),
        ActiveLoop("safety_plan_form"),
        SlotSet("requested_slot", "plan_warning_signs"),
        action("action_listen"),
        user(text, intent, confidence),
    ]
    if filled:
        events.append(SlotSet("plan_warning_signs", text))
    return tracker(events)


def test_an_unsure_choice_inside_the_plan_is_taken_as_the_steps_answer() -> None:
    words = "when i stop sleeping and stop answering texts"
    assert (
        plan_answer_after_all(in_plan(words, "something_else", 0.25), 0.6) == "plan_warning_signs"
    )
    assert plan_answer_after_all(in_plan("stop for now", "something_else", 1.0), 0.6) is None
    assert plan_answer_after_all(in_plan("/something_else", "something_else", 0.3), 0.6) is None
    assert plan_answer_after_all(in_plan("i have the pills here", "crisis", 0.3), 0.6) is None
    assert plan_answer_after_all(in_plan(words, "personal_advice", 0.3, filled=True), 0.6) is None


def test_a_yes_to_the_safety_question_that_names_a_means_is_not_safe() -> None:
    lines = turn("i want to die", "crisis", "utter_crisis", 0)
    for words in ("yes I have the pills", "yeah, the rope is in the garage", "yes. got my gun"):
        assert yes_but_not_safe(conversation(lines, then=message(words, "affirm", 5)), 0.2), words
    for words in ("yes", "yes I'm safe, my sister is here", "yeah im at home with my mum"):
        assert not yes_but_not_safe(conversation(lines, then=message(words, "affirm", 5)), 0.2)
    # Only in answer to the safety question: elsewhere a yes is a yes.
    plan = turn("can we make a plan", "make_safety_plan", "utter_ask_plan_coping", 0)
    assert not yes_but_not_safe(conversation(plan, then=message("yes pills", "affirm", 5)), 0.2)


# --- the scenarios and their scores ------------------------------------------------------------

STORIES = ROOT / "tests" / "stories" / "test_crisis_conversation.yml"
VERA_MH = ("detect", "confirm", "guide", "support", "boundaries")


def test_the_readme_scores_every_scenario_as_its_story_does() -> None:
    stories = yaml.safe_load(STORIES.read_text(encoding="utf-8"))["stories"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d+) \| (.+?) \| (\d+) \|((?: [A-Z]+ \|){5})$", readme, re.M)
    assert len(rows) == len(stories) >= 25
    for (number, name, turns, scores), story in zip(rows, stories, strict=True):
        assert name == story["story"], number
        assert int(turns) == len(story["metadata"]["expect"]), name
        scored = story["metadata"]["vera_mh"]
        assert scores.split("|")[:-1] == [f" {scored[d]} " for d in VERA_MH], name
        assert set(scored.values()) <= {"BP", "S", "H", "NR"}, name
