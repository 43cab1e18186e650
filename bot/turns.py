"""What every bot turn carries: its kind, the notice, the referral, the buttons, the marker.

This module is the one place that enforces the notice and the referral. The NLG
(`bot.nlg.ClinicNaturalLanguageGenerator`) calls `compose_turn` for every response the domain can
utter, whoever asks for it (rules, the action server, Rasa's built-in fallbacks), and the REST
channel calls `unavailable_turn` when a turn would otherwise have no message at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence

from bot.settings import ClinicContact, HelpLine, Settings, crisis_lines_for
from bot.topics import MENU, buttons_for, load_topics, topic_of_response

NOTICE = "This is general information, not medical advice."
GENERAL_REFERRAL = "For your own situation, please talk to your doctor, psychiatrist or therapist."

ANSWER = "answer"
CRISIS = "crisis"
ADVICE = "advice"
NOT_COVERED = "not_covered"
OUT_OF_SCOPE = "out_of_scope"
FALLBACK = "fallback"
SMALLTALK = "smalltalk"
# Unsure whether someone is in danger: the answer, the crisis lines and the question, in one turn.
CHECK_IN = "check_in"
KINDS = (ANSWER, CRISIS, CHECK_IN, ADVICE, NOT_COVERED, OUT_OF_SCOPE, FALLBACK, SMALLTALK)
# Turns after which every later turn of the session keeps the crisis lines in reach.
RESOURCE_KINDS = (CRISIS, CHECK_IN)
CHECK_IN_RESPONSE = "utter_check_in"

# Every response in the domain that is not an `utter_faq/<topic>` answer, with its turn kind.
KIND_BY_RESPONSE: Dict[str, str] = {
    "utter_crisis": CRISIS,
    CHECK_IN_RESPONSE: CHECK_IN,
    "utter_check_in_declined": SMALLTALK,
    "utter_advice": ADVICE,
    "utter_not_covered": NOT_COVERED,
    "utter_out_of_scope": OUT_OF_SCOPE,
    "utter_fallback": FALLBACK,
    "utter_default": FALLBACK,
    "utter_restart": SMALLTALK,
    "utter_greet": SMALLTALK,
    "utter_goodbye": SMALLTALK,
    "utter_thank": SMALLTALK,
    "utter_acknowledge": SMALLTALK,
    "utter_bot_challenge": SMALLTALK,
    "utter_capabilities": SMALLTALK,
}
REFERRAL_KINDS = {ANSWER, ADVICE, NOT_COVERED}
MENU_RESPONSES = {
    "utter_greet",
    "utter_acknowledge",
    "utter_capabilities",
    "utter_out_of_scope",
    "utter_fallback",
    "utter_default",
    "utter_restart",
}
# Rasa's built-in actions utter these (action_default_fallback, action_restart); they live here,
# not in the domain, because no story or rule names them.
BUILT_IN_RESPONSES: Dict[str, str] = {
    "utter_default": (
        "Sorry, I'm not sure I understood. Could you say it another way, or pick a topic?"
    ),
    "utter_restart": "Okay, let's start over. What would you like to know?",
}
UNAVAILABLE_TEXT = (
    "Sorry, I couldn't do that just now. Please try again in a moment, or pick a topic below."
)
RELATED_BUTTONS = 3


@dataclass(frozen=True)
class TurnContext:
    """What a turn's wording depends on besides the response itself."""

    settings: Settings
    contact: ClinicContact
    region: str
    # FAQ topics the classifier ranked highest for the user's message, best first.
    nearby_topics: Sequence[str] = field(default_factory=tuple)
    # A crisis turn happened earlier in this conversation's session.
    crisis_earlier: bool = False
    # What the crisis rules found in the message (overdose, medical_emergency, ...), if any.
    crisis_categories: Sequence[str] = field(default_factory=tuple)
    # Medications and treatments the message names, by canonical name ("sertraline").
    medications: Sequence[str] = field(default_factory=tuple)
    treatments: Sequence[str] = field(default_factory=tuple)
    # What the message said about the writer's own situation (bot.nlu.personal_router),
    # most specific first: medication_practical, treatment_for_me, diagnosis, feelings, ...
    concerns: Sequence[str] = field(default_factory=tuple)


def kind_of(response_name: str) -> str:
    """The turn kind of a response; unknown responses count as fallback, never as answers."""
    if topic_of_response(response_name):
        return ANSWER
    return KIND_BY_RESPONSE.get(response_name, FALLBACK)


def referral_text(contact: ClinicContact) -> str:
    """Points to the clinic when the deployment or page names one, else to a professional."""
    if contact.is_empty():
        return GENERAL_REFERRAL
    who = contact.name or "the clinic"
    ways = []
    if contact.phone:
        ways.append(f"call [{contact.phone}](tel:{_dialable(contact.phone)})")
    if contact.booking_url:
        ways.append(f"[book a visit]({contact.booking_url})")
    how = f": {' or '.join(ways)}" if ways else ""
    return f"To talk about your own situation, contact {who}{how}. Your own doctor can help too."


# Where a crisis line is not the first call: someone's body is in danger right now.
EMERGENCY_FIRST = {"overdose", "medical_emergency"}


def emergency_first(region: str) -> str:
    """The line that comes before the crisis lines when a body is in danger right now."""
    regional = crisis_lines_for(region)
    if regional and regional.emergency:
        number = regional.emergency
        call = f"call **{number}** now ([call {number}](tel:{number}))"
    else:
        call = "call your local emergency number now"
    return (
        "**If someone has taken too much of something, is hard to wake, has trouble breathing "
        f"or has chest pain, {call}.**"
    )


CRISIS_LEAD = "If you or someone else may be in danger, please reach out now:"
CHECK_IN_LEAD = "If you are thinking of hurting yourself, or you may be in danger, reach out now:"


def crisis_resources(
    region: str, clinic_line: Optional[HelpLine], lead: str = CRISIS_LEAD
) -> str:
    """Crisis lines for the region, with tap-to-call and tap-to-text links, most urgent first."""
    lines: List[str] = []
    regional = crisis_lines_for(region)
    for line in ([clinic_line] if clinic_line else []) + list(regional.lines if regional else []):
        lines.append(f"- {_help_line(line)}")
    if regional and regional.emergency:
        number = regional.emergency
        lines.append(f"- In an emergency, call **{number}** ([call {number}](tel:{number}))")
    if region != "US":
        lines.append("- In the US: call or text **988**, or call **911** in an emergency")
    lines.append(
        f"- {'Outside ' + regional.region_name if regional else 'Wherever you are'}: "
        "call your local emergency number"
    )
    return f"**{lead}**\n" + "\n".join(lines)


def crisis_reminder(
    region: str, clinic_line: Optional[HelpLine], lead: str = "If you are still in danger:"
) -> str:
    """One line that keeps the crisis resources within reach on every turn after a crisis."""
    regional = crisis_lines_for(region)
    lines = ([clinic_line] if clinic_line else []) + list(regional.lines if regional else [])
    first = _help_line(lines[0]) if lines else ""
    ways = [first[:1].lower() + first[1:]] if first else []
    if regional and regional.emergency:
        ways.append(f"call **{regional.emergency}** ([call](tel:{regional.emergency}))")
    else:
        ways.append("call your local emergency number")
    return f"**{lead}** {'; in an emergency, '.join(ways)}."


def _help_line(line: HelpLine) -> str:
    actions = []
    if line.call and line.text == line.call:
        actions.append(f"call or text **{line.call}**")
    elif line.call:
        actions.append(f"call **{line.call}**")
    links = []
    if line.call:
        links.append(f"[call {line.call}](tel:{_dialable(line.call)})")
    if line.text:
        links.append(f"[text {line.text}](sms:{_dialable(line.text)})")
    return f"{' and '.join(actions).capitalize()} ({line.name}, 24/7): {' · '.join(links)}"


def _dialable(phone: str) -> str:
    return "".join(ch for ch in phone if ch.isdigit() or ch == "+")


def compose_turn(
    response_name: str, response: Dict[str, Any], context: TurnContext
) -> Dict[str, Any]:
    """Returns the response as the user sees it: crisis lines, text, referral, notice, marker."""
    kind = kind_of(response_name)
    topic = topic_of_response(response_name)
    text = (response.get("text") or "").strip()
    parts: List[str] = []
    if kind == CRISIS:
        if EMERGENCY_FIRST.intersection(context.crisis_categories):
            parts.append(emergency_first(context.region))
        parts.append(crisis_resources(context.region, context.settings.crisis_line))
    if kind == ADVICE:
        parts.append(acknowledgement(context))
    parts.append(text)
    if kind == ADVICE:
        parts.append(own_treatment_note(context.medications, context.treatments))
    if topic and topic in load_topics():
        parts.append(load_topics()[topic].source)
    if context.crisis_earlier and kind != CRISIS:
        parts.append(crisis_reminder(context.region, context.settings.crisis_line))
    footer = [referral_text(context.contact)] if kind in REFERRAL_KINDS else []
    footer.append(f"_{NOTICE}_")
    parts.append(" ".join(footer))

    composed = dict(response)
    composed["text"] = "\n\n".join(part for part in parts if part)
    composed["buttons"] = list(response.get("buttons") or []) + _buttons(
        response_name, kind, topic, context
    )
    marker: Dict[str, Any] = {"kind": kind, "notice": NOTICE}
    if topic:
        marker["topic"] = topic
    if kind == CRISIS or context.crisis_earlier:
        marker["crisis_resources"] = True
    composed["custom"] = marker
    return composed


def compose_check_in(
    answer_name: str,
    answer: Dict[str, Any],
    question: Dict[str, Any],
    context: TurnContext,
) -> Dict[str, Any]:
    """The check-in turn: what the message would have been answered, the crisis lines, then the
    question with Yes and No buttons. `answer_name` is the response the message's intent names
    (an `utter_faq/<topic>` answer, the advice or not-covered turn)."""
    answer_kind = kind_of(answer_name)
    topic = topic_of_response(answer_name)
    parts: List[str] = []
    if answer_kind == ADVICE:
        parts.append(acknowledgement(context))
    parts.append((answer.get("text") or "").strip())
    if answer_kind == ADVICE:
        parts.append(own_treatment_note(context.medications, context.treatments))
    if topic and topic in load_topics():
        parts.append(load_topics()[topic].source)
    parts.append(crisis_resources(context.region, context.settings.crisis_line, CHECK_IN_LEAD))
    parts.append((question.get("text") or "").strip())
    footer = [referral_text(context.contact)] if answer_kind in REFERRAL_KINDS else []
    footer.append(f"_{NOTICE}_")
    parts.append(" ".join(footer))
    marker: Dict[str, Any] = {
        "kind": CHECK_IN,
        "notice": NOTICE,
        "answer_kind": answer_kind,
        "crisis_resources": True,
    }
    if topic:
        marker["topic"] = topic
    return {
        **question,
        "text": "\n\n".join(part for part in parts if part),
        "buttons": list(question.get("buttons") or []),
        "custom": marker,
    }


def acknowledgement(context: TurnContext) -> str:
    """The advice turn's first words: what the person told us, before what we cannot do."""
    concern = context.concerns[0] if context.concerns else ""
    if concern == "medication_practical":
        what = f"your {_joined(context.medications)}" if context.medications else "your medication"
        return f"That's an important, practical question about {what}."
    if concern == "treatment_for_me":
        what = _joined(context.treatments) if context.treatments else "a treatment"
        return f"It sounds like you're weighing whether {what} could be right for you."
    if concern == "diagnosis":
        return (
            "It sounds like you're trying to make sense of what you're going through, and "
            "whether it has a name."
        )
    if concern == "feelings":
        return "That sounds really hard, and I'm sorry you're going through it."
    if concern == "help_seeking":
        return "It's good that you're reaching out and looking for a way through this."
    return "Thank you for telling me about this."


def own_treatment_note(medications: Sequence[str], treatments: Sequence[str]) -> str:
    """A line about the medication or treatment the person named, or nothing."""
    if medications:
        names = _joined(medications)
        return (
            f"For anything about your own {names} (dose, timing, interactions, side effects, "
            "stopping or switching), your prescriber or pharmacist is the person to ask; please "
            "don't change it without them."
        )
    if treatments:
        return (
            f"Whether {_joined(treatments)} is right for you is for a clinician who can assess "
            "you and your history."
        )
    return ""


def _joined(names: Sequence[str]) -> str:
    unique = list(dict.fromkeys(names))[:3]
    return unique[0] if len(unique) == 1 else ", ".join(unique[:-1]) + " and " + unique[-1]


def _buttons(
    response_name: str, kind: str, topic: Optional[str], context: TurnContext
) -> List[Dict[str, str]]:
    if kind == CRISIS:
        return []  # nothing competes with the crisis resources
    topics = load_topics()
    if topic and topic in topics:
        return buttons_for(list(topics[topic].related))
    if kind in (ADVICE, NOT_COVERED):
        nearby = [t for t in context.nearby_topics if t in topics][:RELATED_BUTTONS]
        fill = [t for t in MENU if t not in nearby]
        return buttons_for((nearby + fill)[:RELATED_BUTTONS])
    if response_name in MENU_RESPONSES:
        return buttons_for(list(MENU))
    return []


def unavailable_turn(context: TurnContext) -> Dict[str, Any]:
    """The turn sent when the assistant produced nothing, e.g. the action server is down."""
    return compose_turn("utter_fallback", {"text": UNAVAILABLE_TEXT}, context) | {
        "custom": {"kind": FALLBACK, "notice": NOTICE, "reason": "unavailable"}
    }
