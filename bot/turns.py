"""What every bot turn carries: its kind, the notice, the referral, the buttons, the marker.

This module is the one place that enforces the notice and the referral (for a question about
the clinic, how to reach the clinic), and the one place that puts the clinic's own answers into a
turn (`clinic_words`). The NLG (`bot.nlg.ClinicNaturalLanguageGenerator`) calls `compose_turn` for
every response the domain can utter, whoever asks for it (rules, the action server, Rasa's
built-in fallbacks), and the REST channel calls `unavailable_turn` when a turn would otherwise
have no message at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Dict, List, Optional, Sequence, Tuple

from bot import crisis_conversation, spanish_texts
from bot.clinic_answers import ClinicAnswers, intake, intake_topic_of_response, intake_topics
from bot.crisis_conversation import (
    FINISHED_PLAN,
    NO_BUTTONS_INSIDE,
    REFERRAL_PREFIX,
    SUPPORT_RESPONSES,
    URGENT_RESPONSES,
    ConversationState,
)
from bot.crisis_lines import CRISIS_LINES_BY_REGION, HelpLine, crisis_lines_for, spanish_lines_for
from bot.line_hours import open_now
from bot.marker import (
    ADVICE,
    ANSWER,
    CHECK_IN,
    CLINIC_ANSWER,
    CRISIS,
    CUSTOM,
    FALLBACK,
    KINDS,  # noqa: F401 - the turn kinds, where the turns are
    NOT_COVERED,
    OUT_OF_SCOPE,
    RESOURCE_KINDS,  # noqa: F401
    SMALLTALK,
    SUPPORT,
    UNAVAILABLE,
    TurnMarker,
)
from bot.payload import payload_topic
from bot.settings import ClinicContact, Settings
from bot.topics import MENU, RETRIEVAL_INTENT, buttons_for, load_topics, topic_of_response

ENGLISH = "en"
SPANISH = "es"
NOTICE = "This is general information, not medical advice."
GENERAL_REFERRAL = "For your own situation, please talk to your doctor, psychiatrist or therapist."

CHECK_IN_RESPONSE = "utter_check_in"

# Every response in the domain that is not an `utter_faq/<topic>` answer, with its turn kind.
KIND_BY_RESPONSE: Dict[str, str] = {
    "utter_crisis": CRISIS,
    # Off the subject as far as this assistant can go: it answers only in English.
    "utter_other_language": OUT_OF_SCOPE,
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
    # Follow-ups read against the last turn (data/responses/intake.yml).
    "utter_advice_why": ADVICE,
    "utter_not_covered_why": NOT_COVERED,
    "utter_follow_up_how_long": NOT_COVERED,
    "utter_follow_up_safety": NOT_COVERED,
    "utter_follow_up_group": NOT_COVERED,
    "utter_clinic_more": CLINIC_ANSWER,
    # The crisis conversation's own turns (bot.crisis_conversation).
    **{name: SUPPORT for name in SUPPORT_RESPONSES},
}
# The response a follow-up the article cannot answer becomes after one of the clinic's answers.
CLINIC_MORE_RESPONSE = "utter_clinic_more"
FOLLOW_UP_RESPONSES = (
    "utter_follow_up_how_long",
    "utter_follow_up_safety",
    "utter_follow_up_group",
)
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
UNAVAILABLE_CRISIS_TEXT = (
    "I'm sorry, I couldn't answer just now. Please don't wait for me: the people at these "
    "lines can help right now; the 24/7 ones, day or night."
)
UNAVAILABLE_TEXT_ES = "Lo siento, no pude responder ahora mismo. Inténtalo de nuevo en un momento."
UNAVAILABLE_CRISIS_TEXT_ES = (
    "Lo siento, no pude responder ahora mismo. No esperes: las personas de estas líneas pueden "
    "ayudarte ahora mismo; las de 24 horas, de día o de noche."
)
NOTICE_ES = "Esto es información general, no es consejo médico."
# What a Spanish message is told, in Spanish: every response's words are in bot/texts_es.yml
# (bot.spanish_texts), the crisis conversation's in bot/crisis_conversation.yml. A response
# without Spanish words gets the "only in English" turn (`utter_other_language`'s Spanish).
GREETING = "utter_greet"
# Before the nearest topic's answer to a question the article does not answer exactly.
NEAREST_LEAD = (
    "The article doesn't answer exactly that, and I'd rather not guess. This is the nearest "
    "thing it says:"
)
# Said to a message in another language: only English here, a professional can help, the lines.
LANGUAGE_RESPONSE = "utter_other_language"
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
    # The message's language (ISO 639-1) when it is not English (bot.nlu.language).
    language: str = "en"
    # What the message said about the writer's own situation (bot.nlu.personal_router),
    # most specific first: medication_practical, treatment_for_me, diagnosis, feelings, ...
    concerns: Sequence[str] = field(default_factory=tuple)
    # An article answer to a message that was also about the writer: acknowledge them first.
    acknowledge: bool = False
    # The article does not answer exactly what was asked; this is its nearest topic.
    nearest: bool = False
    # The clinic's own answers when they belong to this conversation's clinic (page_context).
    clinic_answers: Optional[ClinicAnswers] = None
    # The topic of the latest answer (the `topic` slot), that follow-ups are read against.
    last_topic: Optional[str] = None
    # The crisis conversation, when the session is in it, and its safety plan.
    conversation: ConversationState = field(default_factory=ConversationState)
    # When the turn is composed (the clinic line's open or closed); None is now.
    now: Optional[datetime] = None


def kind_of(response_name: str) -> str:
    """The turn kind of a response; unknown responses count as fallback, never as answers."""
    if topic_of_response(response_name):
        return ANSWER
    if intake_topic_of_response(response_name):
        return CLINIC_ANSWER
    return KIND_BY_RESPONSE.get(response_name, FALLBACK)


def follow_up_response(response_name: str, last_topic: Optional[str]) -> str:
    """The response a turn is composed from: a follow-up the article cannot answer ("how long
    does that take?") after one of the clinic's answers says only the clinic can say more."""
    if response_name in FOLLOW_UP_RESPONSES and last_topic in intake_topics():
        return CLINIC_MORE_RESPONSE
    return response_name


def clinic_topic(response_name: str, context: TurnContext) -> Optional[str]:
    """The intake topic a clinic answer is about: its response's, or the latest answer's."""
    topic = intake_topic_of_response(response_name)
    if topic is None and response_name == CLINIC_MORE_RESPONSE:
        topic = context.last_topic
    return topic if topic in intake_topics() else None


def clinic_name_or_words(contact: ClinicContact) -> str:
    """The clinic's name, or "the clinic"."""
    return contact.name or intake().words["a_clinic"]


def clinic_words(topic: Optional[str], text: str, context: TurnContext) -> Tuple[str, bool]:
    """An intake topic's text: the clinic's own words after a line that says whose they are,
    when the clinic wrote an answer; else the response's "it hasn't written one here yet"."""
    words = context.clinic_answers.answer(topic) if context.clinic_answers and topic else None
    if not words or topic is None:
        return text, False
    lead = (
        intake()
        .words["lead"]
        .format(clinic=clinic_name_or_words(context.contact), about=intake_topics()[topic].about)
    )
    return f"{lead}\n\n{words}", True


def clinic_contact_text(contact: ClinicContact) -> str:
    """After a clinic answer: how to reach the clinic, with its phone and booking link."""
    words = intake().words
    clinic = clinic_name_or_words(contact)
    ways = []
    if contact.phone:
        ways.append(words["call"].format(phone=contact.phone, dial=_dialable(contact.phone)))
    if contact.booking_url:
        ways.append(words["book"].format(url=contact.booking_url))
    if not ways:
        return words["contact_unknown"].format(clinic=clinic)
    return words["contact"].format(clinic=clinic, ways=words["either"].join(ways))


def referral_text(contact: ClinicContact, language: str = ENGLISH) -> str:
    """Points to the clinic when the deployment or page names one, else to a professional."""
    if language == SPANISH:
        return _referral_text_es(contact)
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


def _referral_text_es(contact: ClinicContact) -> str:
    phrase = spanish_texts.phrase
    if contact.is_empty():
        return phrase("referral_general")
    who = contact.name or phrase("referral_the_clinic")
    ways = []
    if contact.phone:
        ways.append(phrase("referral_call", phone=contact.phone, dial=_dialable(contact.phone)))
    if contact.booking_url:
        ways.append(phrase("referral_book", url=contact.booking_url))
    how = f": {phrase('or').join(ways)}" if ways else ""
    return phrase("referral_clinic", who=who, how=how)


# Where a crisis line is not the first call: someone's body is in danger right now.
EMERGENCY_FIRST = {"overdose", "medical_emergency"}


@dataclass(frozen=True)
class _Words:
    """The words a list of crisis lines is written with, in one language."""

    call: str  # "call **988**"
    press: str  # " and press **2**"
    text: str  # "text **988**"
    text_word: str  # "text **SHOUT** to **85258**"
    call_or_text: str  # "call or text **988**"
    either: str  # "{call}, or {text}"
    call_link: str  # "call 988"
    text_link: str
    text_word_link: str
    chat_link: str  # "chat online"
    chat_or: str  # " or [chat online](url)", after how to reach the US line
    other_language: str  # "en inglés": the line answers only in English (Spanish cards)
    closed_now: str  # "closed now": a clinic's line outside its hours
    directory: str  # where a region without lines of its own finds a free helpline
    emergency: str  # "In an emergency, call {numbers}"
    numbers_or: str  # " or "
    in_us: str
    outside: str
    anywhere: str
    local_number: str
    body_in_danger: str
    body_in_danger_local: str
    lead: str


_WORDS = {
    ENGLISH: _Words(
        call="call **{n}**",
        press=" and press **{o}**",
        text="text **{n}**",
        text_word="text **{w}** to **{n}**",
        call_or_text="call or text **{n}**",
        either="{call}, or {text}",
        call_link="call {n}",
        text_link="text {n}",
        text_word_link="text {w} to {n}",
        chat_link="chat online",
        chat_or=" or [chat online]({url})",
        other_language="",
        closed_now="closed now",
        directory="find a free helpline where you are at [findahelpline.com]({url})",
        emergency="In an emergency, call {numbers}",
        numbers_or=" or ",
        in_us="In the US: {reach}, or call **911** in an emergency",
        outside="Outside {region}",
        anywhere="Wherever you are",
        local_number="call your local emergency number",
        body_in_danger=(
            "**If someone has taken too much of something, is hard to wake, has trouble "
            "breathing or has chest pain, call {numbers} now.**"
        ),
        body_in_danger_local=(
            "**If someone has taken too much of something, is hard to wake, has trouble "
            "breathing or has chest pain, call your local emergency number now.**"
        ),
        lead="If you or someone else may be in danger, please reach out now:",
    ),
    SPANISH: _Words(
        call="llama al **{n}**",
        press=" y marca el **{o}**",
        text="envía un mensaje al **{n}**",
        text_word="envía **{w}** al **{n}**",
        call_or_text="llama o envía un mensaje al **{n}**",
        either="{call}, o {text}",
        call_link="llamar al {n}",
        text_link="mensaje al {n}",
        text_word_link="enviar {w} al {n}",
        chat_link="chatear en línea",
        chat_or=" o [chatea en línea]({url})",
        other_language="en inglés",
        closed_now="cerrado ahora",
        directory="busca una línea gratuita de tu país en [findahelpline.com]({url})",
        emergency="En una emergencia, llama al {numbers}",
        numbers_or=" o al ",
        in_us="En EE. UU.: {reach}; en una emergencia, llama al **911**",
        outside="Fuera de {region}",
        anywhere="Estés donde estés",
        local_number="llama al número de emergencias local",
        body_in_danger=(
            "**Si alguien ha tomado demasiado de algo, cuesta despertarlo, tiene dificultad "
            "para respirar o dolor en el pecho, llama ahora al {numbers}.**"
        ),
        body_in_danger_local=(
            "**Si alguien ha tomado demasiado de algo, cuesta despertarlo, tiene dificultad "
            "para respirar o dolor en el pecho, llama ahora al número de emergencias local.**"
        ),
        lead="Si tú u otra persona puede estar en peligro, busca ayuda ahora:",
    ),
}


def _words(language: str) -> _Words:
    return _WORDS.get(language, _WORDS[ENGLISH])


def _reach(line: HelpLine, words: _Words) -> str:
    """How to reach a line, each way with its own verb: "call **116 123**", "text **SHOUT** to
    **85258**", "call or text **988**"."""
    plain_both = line.call == line.text and not line.text_keyword and not line.call_option
    if line.call and plain_both:
        return words.call_or_text.format(n=line.call)
    call = text = ""
    if line.call:
        call = words.call.format(n=line.call)
        if line.call_option:
            call += words.press.format(o=line.call_option)
    if line.text:
        template = words.text_word if line.text_keyword else words.text
        text = template.format(n=line.text, w=line.text_keyword)
    return words.either.format(call=call, text=text) if call and text else call or text


def _links(line: HelpLine, words: _Words) -> List[str]:
    links = []
    if line.call:
        links.append(f"[{words.call_link.format(n=line.call)}](tel:{_dialable(line.call)})")
    if line.text:
        label = (words.text_word_link if line.text_keyword else words.text_link).format(
            n=line.text, w=line.text_keyword
        )
        links.append(f"[{label}](sms:{_dialable(line.text)})")
    if line.chat:
        links.append(f"[{words.chat_link}]({line.chat})")
    return links


def _about(line: HelpLine, words: _Words, closed: bool = False) -> List[str]:
    """Who answers and when: the name (unless it is only the number just given), the hours,
    "closed now" for a clinic's line outside them, and, in a Spanish card, "en inglés" for a
    line that answers only in English."""
    about = [] if line.named_by_number() else [line.name]
    if line.hours:
        about.append(line.hours)
    if closed:
        about.append(words.closed_now)
    if words.other_language and line.language and line.language != SPANISH:
        about.append(words.other_language)
    return about


def _help_line(line: HelpLine, words: _Words, closed: bool = False) -> str:
    """One line of the crisis card: how to reach it, who answers and when, then its links."""
    reach = _reach(line, words)
    about = ", ".join(_about(line, words, closed))
    about = f" ({about})" if about else ""
    return f"{reach[:1].upper()}{reach[1:]}{about}: {' · '.join(_links(line, words))}"


def _emergency_numbers(numbers: Sequence[str], words: _Words) -> str:
    return words.numbers_or.join(f"**{number}**" for number in numbers)


def _emergency_links(numbers: Sequence[str], words: _Words) -> str:
    return " · ".join(
        f"[{words.call_link.format(n=number)}](tel:{_dialable(number)})" for number in numbers
    )


def emergency_first(region: str, language: str = ENGLISH) -> str:
    """The line that comes before the crisis lines when a body is in danger right now. The
    number sits inside the one bold sentence (bold inside bold would undo it), links after."""
    words = _words(language)
    regional = crisis_lines_for(region)
    if not (regional and regional.emergency):
        return words.body_in_danger_local
    numbers = words.numbers_or.join(regional.emergency)
    return (
        f"{words.body_in_danger.format(numbers=numbers)} "
        f"{_emergency_links(regional.emergency, words)}"
    )


CRISIS_LEAD = _WORDS[ENGLISH].lead
CHECK_IN_LEAD = "If you are thinking of hurting yourself, or you may be in danger, reach out now:"


def _clinic_open(
    clinic_line: Optional[HelpLine], zone: Optional[str], now: Optional[datetime]
) -> Optional[bool]:
    """Whether the clinic's line is open now: True (24/7, or open by its hours in its time zone),
    False (closed by its hours), None (no line, no hours, or hours that cannot be read)."""
    return open_now(clinic_line.hours, zone, now) if clinic_line else None


def _lines_in(
    region: str,
    clinic_line: Optional[HelpLine],
    language: str,
    zone: Optional[str] = None,
    now: Optional[datetime] = None,
) -> List[HelpLine]:
    """The lines a turn lists, in order: the clinic's when it is open now, those that answer in
    the turn's language, the region's others (all open day and night), then the clinic's when it
    is closed now or its hours cannot be read, so it is never listed as if always open."""
    regional = crisis_lines_for(region)
    own = list(regional.lines if regional else [])
    in_language = list(spanish_lines_for(region)) if language == SPANISH else []
    taken = {number for line in in_language for number in (line.call, line.text) if number}
    others = [line for line in own if not ({line.call, line.text} - {None}) <= taken]
    clinic = [clinic_line] if clinic_line else []
    if _clinic_open(clinic_line, zone, now):
        return clinic + in_language + others
    return in_language + others + clinic


def crisis_resources(
    region: str,
    clinic_line: Optional[HelpLine],
    lead: Optional[str] = None,
    language: str = ENGLISH,
    zone: Optional[str] = None,
    now: Optional[datetime] = None,
) -> str:
    """Crisis lines for the region, with tap-to-call and tap-to-text links, most urgent first.
    `zone` and `now` say whether the clinic's own line is open (`bot.line_hours`)."""
    words = _words(language)
    regional = crisis_lines_for(region)
    closed = _clinic_open(clinic_line, zone, now) is False
    items = [
        f"- {_help_line(line, words, closed and line is clinic_line)}"
        for line in _lines_in(region, clinic_line, language, zone, now)
    ]
    if regional and regional.emergency:
        numbers = _emergency_numbers(regional.emergency, words)
        links = _emergency_links(regional.emergency, words)
        items.append(f"- {words.emergency.format(numbers=numbers)}: {links}")
    if region.upper() != "US":
        # The US line in the turn's language, for a visitor outside the US.
        us_lines = spanish_lines_for("US") if language == SPANISH else ()
        us_line = us_lines[0] if us_lines else CRISIS_LINES_BY_REGION["US"].lines[0]
        reach = _reach(us_line, words)
        if us_line.chat:
            reach += words.chat_or.format(url=us_line.chat)
        items.append(f"- {words.in_us.format(reach=reach)}")
    if regional:
        # Spanish contracts "de el" to "del" ("Fuera del Reino Unido").
        where = words.outside.format(region=_region_name(regional, language))
        where = where.replace("de el ", "del ")
    else:
        where = words.anywhere
    items.append(f"- {where}: {words.local_number}")
    if not regional:
        directory = words.directory.format(url=HELPLINE_DIRECTORY)
        items.append(f"- {directory[:1].upper()}{directory[1:]}")
    return f"**{lead or words.lead}**\n" + "\n".join(items)


def _region_name(regional: Any, language: str) -> str:
    if language == SPANISH and regional.region_name_es:
        return str(regional.region_name_es)
    return str(regional.region_name)


# Free lines in many countries, for a region without lines of its own in the directory.
HELPLINE_DIRECTORY = "https://findahelpline.com"
REMINDER_LEAD = "If you are still in danger:"
REMINDER_LEAD_ES = "Si sigues en peligro:"
# The unavailable turn's short form of the lines, when nothing suggests danger.
UNAVAILABLE_LINES_LEAD = "If you or someone else may be in danger:"
UNAVAILABLE_LINES_LEAD_ES = "Si tú u otra persona puede estar en peligro:"


def crisis_reminder(
    region: str,
    clinic_line: Optional[HelpLine],
    lead: Optional[str] = None,
    language: str = ENGLISH,
    zone: Optional[str] = None,
    now: Optional[datetime] = None,
) -> str:
    """One paragraph that keeps the crisis resources within reach on every turn after a crisis:
    every line of the region and its emergency number, with the clinic's line added (with its
    hours, and "closed now" when it is)."""
    words = _words(language)
    regional = crisis_lines_for(region)
    lines = _lines_in(region, None, language) + ([clinic_line] if clinic_line else [])
    closed = _clinic_open(clinic_line, zone, now) is False
    ways = []
    for line in lines:
        about = _about(line, words, closed) if line is clinic_line else _about(line, words)
        if line is not clinic_line and line.hours:
            about.remove(line.hours)  # the region's lines are all open day and night
        named = f"{', '.join(about)}: " if about else ""
        ways.append(f"{_reach(line, words)} ({named}{' · '.join(_links(line, words))})")
    if regional and regional.emergency:
        numbers = regional.emergency
        emergency = words.emergency.format(numbers=_emergency_numbers(numbers, words))
        links = _emergency_links(numbers, words)
        ways.append(f"{emergency[:1].lower()}{emergency[1:]} ({links})")
    else:
        ways.append(words.local_number)
        ways.append(words.directory.format(url=HELPLINE_DIRECTORY))
    default_lead = REMINDER_LEAD_ES if language == SPANISH else REMINDER_LEAD
    return f"**{lead or default_lead}** {'; '.join(ways)}."


def danger_line(region: str, language: str = ENGLISH) -> str:
    """The greeting's one sentence on what to do in danger: the region's own lines."""
    regional = crisis_lines_for(region)
    spanish = language == SPANISH
    if not regional:
        if spanish:
            return spanish_texts.phrase("danger_local")
        return "If you're in danger, call your local emergency number."
    words = _words(language)
    reach = (spanish_texts.phrase("or") if spanish else " or ").join(
        _reach(line, words) + ("" if line.named_by_number() else f" ({line.name})")
        for line in regional.lines
    )
    numbers = _emergency_numbers(regional.emergency, words)
    if spanish:
        return spanish_texts.phrase("danger", reach=reach, numbers=numbers)
    return f"If you're in danger, {reach}; in an emergency, call {numbers}."


def _clinic_hours(context: TurnContext) -> Dict[str, Any]:
    """What says whether the clinic's line is open now: its time zone and the turn's moment."""
    return {"zone": context.settings.crisis_timezone, "now": context.now}


def _dialable(phone: str) -> str:
    return "".join(ch for ch in phone if ch.isdigit() or ch == "+")


def compose_turn(
    response_name: str,
    response: Dict[str, Any],
    context: TurnContext,
    lines_always: bool = False,
) -> Dict[str, Any]:
    """Returns the response as the user sees it: crisis lines, text, referral, notice, marker.

    `lines_always` adds the crisis lines in short to a turn that would not carry them (the
    unavailable turn: nobody has read the message). Inside the crisis conversation every turn
    carries the lines, and its buttons are ways forward, never a topic menu."""
    kind = kind_of(response_name)
    topic = topic_of_response(response_name) or clinic_topic(response_name, context)
    language = context.language
    conversation = context.conversation
    inside = conversation.active or kind in (CRISIS, SUPPORT)
    text = (response.get("text") or "").strip()
    shows_clinic_words = False
    if kind == CLINIC_ANSWER and intake_topic_of_response(response_name):
        # The intake topic's own answer; "that's all it has written" stays what it says.
        text, shows_clinic_words = clinic_words(topic, text, context)
    clinic_line = context.settings.crisis_line
    hours = _clinic_hours(context)
    urgent = response_name in URGENT_RESPONSES
    parts: List[str] = []
    acknowledged = acknowledges(kind, context)
    if kind == CRISIS or urgent:
        if EMERGENCY_FIRST.intersection(context.crisis_categories):
            parts.append(emergency_first(context.region, language))
        elif urgent:
            parts.append(danger_now(context.region, language))
        parts.append(crisis_resources(context.region, clinic_line, language=language, **hours))
    if kind == ADVICE or acknowledged:
        parts.append(acknowledgement(context))
    nearest = kind == ANSWER and context.nearest
    if nearest:
        parts.append(nearest_lead(language))
    parts.append(crisis_conversation.plan_question_lead(response_name, conversation, language))
    parts.append(text)
    if response_name == FINISHED_PLAN:
        lines = crisis_reminder(context.region, clinic_line, language=language, **hours)
        lines = lines.split("** ", 1)[-1]  # the lines without the reminder's bold lead
        parts.append(crisis_conversation.plan_text(conversation.plan, language, lines))
    if response_name == GREETING:
        parts.append(danger_line(context.region, language))
    if kind == ADVICE:
        parts.append(own_treatment_note(context.medications, context.treatments, language))
    elif acknowledged:
        parts.append(acknowledged_note(kind, context))
    if response_name.startswith(REFERRAL_PREFIX):
        parts.append(clinic_line_now(context))
        parts.append(crisis_conversation.region_note(response_name, context.region, language))
    if topic and topic in load_topics() and language != SPANISH:
        # A Spanish answer carries its own source line (bot/texts_es.yml).
        parts.append(load_topics()[topic].source)
    carries_lines = kind == CRISIS or urgent
    if response_name == LANGUAGE_RESPONSE:
        # Not read, so not known to be safe: the lines, in the reader's language where we can.
        parts.append(crisis_resources(context.region, clinic_line, language=language, **hours))
        carries_lines = True
    elif not carries_lines and (
        # A Spanish message is read with less certainty than an English one (a smaller model,
        # fewer crisis rules): every Spanish turn keeps the lines in reach.
        inside or context.crisis_earlier or lines_always or language == SPANISH
    ):
        lead = None if inside or context.crisis_earlier else _unavailable_lead(language)
        parts.append(crisis_reminder(context.region, clinic_line, lead, language, **hours))
        carries_lines = True
    footer = [referral_text(context.contact, language)] if kind in REFERRAL_KINDS else []
    if kind == CLINIC_ANSWER:
        footer.append(clinic_contact_text(context.contact))
    if language == SPANISH:
        footer.append(f"_{NOTICE_ES}_")
    footer.append(f"_{NOTICE}_")
    parts.append(" ".join(footer))

    composed = dict(response)
    composed["text"] = "\n\n".join(part for part in parts if part)
    own_buttons = list(response.get("buttons") or [])
    composed["buttons"] = own_buttons + _titled(
        _buttons(response_name, kind, topic, context, bool(own_buttons)), language
    )
    marker = TurnMarker(
        kind=kind,
        notice=NOTICE,
        topic=topic or None,
        crisis_resources=carries_lines,
        language=language if language != ENGLISH else None,
        acknowledged=acknowledged,
        nearest=nearest,
        clinic_words=shows_clinic_words,
        # A crisis or support turn is the conversation by its kind; any other turn says so.
        crisis_conversation=inside and kind not in (CRISIS, SUPPORT),
        safety_plan=(
            crisis_conversation.plan_milestone(response_name, composed["buttons"], conversation)
            if inside
            else None
        ),
    )
    return with_marker(composed, marker)


def danger_now(region: str, language: str = ENGLISH) -> str:
    """The emergency number first, when the person may not be safe: "call 911 now"."""
    regional = crisis_lines_for(region)
    numbers = regional.emergency if regional else ()
    links = _emergency_links(numbers, _words(language)) if numbers else ""
    return crisis_conversation.danger_now(numbers, links, language)


def clinic_line_now(context: TurnContext) -> str:
    """The clinic's own line in a referral turn, open or closed now when that can be told."""
    line = context.settings.crisis_line
    if line is None:
        return ""
    words = _words(context.language)
    ways = _reach(line, words) + " (" + " · ".join(_links(line, words)) + ")"
    return crisis_conversation.clinic_line_text(
        line, context.settings.crisis_timezone, ways, context.language, context.now
    )


def in_language(response_name: str, response: Dict[str, Any], language: str) -> Dict[str, Any]:
    """The domain's response in the message's language, where there are words for it.

    In Spanish: the words of bot/texts_es.yml (with the button titles of the response's own
    buttons), else the crisis conversation's; a response already reworded for the crisis
    conversation keeps its Spanish rewording; a response without Spanish words says, in Spanish,
    that the assistant answers that only in English, never English text unannounced."""
    if language != SPANISH:
        return response
    reworded = crisis_conversation.reworded(response_name, SPANISH)
    if reworded and (response.get("text") or "").strip() == reworded.strip():
        return response
    conversation = crisis_conversation.in_spanish(response_name, response)
    translated = spanish_texts.in_spanish(response_name, conversation)
    if translated is not None:
        return translated
    if conversation.get("text") != response.get("text"):
        return conversation
    return {**conversation, "text": spanish_texts.only_english_text()}


def in_conversation(response_name: str, response: Dict[str, Any], language: str) -> Dict[str, Any]:
    """A response outside the crisis conversation's own as it reads inside it: no topic menu,
    no "pick a topic" (its buttons become ways forward in `compose_turn`)."""
    text = crisis_conversation.reworded(response_name, language)
    return {**response, "text": text} if text else response


def _unavailable_lead(language: str) -> str:
    return UNAVAILABLE_LINES_LEAD_ES if language == SPANISH else UNAVAILABLE_LINES_LEAD


# The check-in's answer to the message, kept short: the question and the lines come first.
CHECK_IN_ANSWER_LEAD = "About your question:"


def nearest_lead(language: str) -> str:
    """The line before the nearest topic's answer, in the turn's language."""
    return spanish_texts.phrase("nearest_lead") if language == SPANISH else NEAREST_LEAD


def _titled(buttons: List[Dict[str, str]], language: str) -> List[Dict[str, str]]:
    """Topic buttons with their titles in the turn's language (payloads unchanged)."""
    if language != SPANISH:
        return buttons
    titled = []
    for button in buttons:
        topic = payload_topic(str(button.get("payload") or ""), RETRIEVAL_INTENT)
        title = spanish_texts.topic_title(topic) if topic else None
        titled.append({**button, "title": title} if title else button)
    return titled


def short_answer(text: str) -> str:
    """An answer's first paragraph: what the check-in carries after its question and lines."""
    return text.strip().split("\n\n", 1)[0].strip()


def compose_check_in(
    answer_name: str,
    answer: Dict[str, Any],
    question: Dict[str, Any],
    context: TurnContext,
) -> Dict[str, Any]:
    """The check-in turn: the question first, with Yes and No buttons, then the crisis lines, then
    a short answer to what the message asked. `answer_name` is the response the message's intent
    names (an `utter_faq/<topic>` answer, the advice or the not-covered turn); an article
    answer's first paragraph is kept, and a button opens the whole answer."""
    answer_kind = kind_of(answer_name)
    topic = topic_of_response(answer_name) or clinic_topic(answer_name, context)
    acknowledged = acknowledges(answer_kind, context)
    nearest = answer_kind == ANSWER and context.nearest
    language = context.language
    spanish = language == SPANISH
    parts: List[str] = [(question.get("text") or "").strip()]
    parts.append(
        crisis_resources(
            context.region,
            context.settings.crisis_line,
            spanish_texts.phrase("check_in_lead") if spanish else CHECK_IN_LEAD,
            language=language,
            **_clinic_hours(context),
        )
    )
    lead = spanish_texts.phrase("check_in_answer_lead") if spanish else CHECK_IN_ANSWER_LEAD
    full = (answer.get("text") or "").strip()
    shows_clinic_words = False
    if answer_kind == CLINIC_ANSWER and intake_topic_of_response(answer_name):
        full, shows_clinic_words = clinic_words(topic, full, context)
    # The clinic's own answer is kept whole: its first paragraph only says whose words follow.
    short = full if answer_kind == CLINIC_ANSWER else short_answer(full)
    if answer_kind == ADVICE:
        parts.append(f"{lead} {acknowledgement(context)} {short}")
        parts.append(own_treatment_note(context.medications, context.treatments, language))
    elif acknowledged:
        parts.append(f"{lead} {acknowledgement(context)} {short}")
        parts.append(acknowledged_note(answer_kind, context))
    elif nearest:
        parts.append(f"{lead} {nearest_lead(language)} {short}")
    else:
        parts.append(f"{lead} {short}" if short else "")
    if topic and topic in load_topics() and not spanish:
        parts.append(load_topics()[topic].source)
    footer = [referral_text(context.contact, language)] if answer_kind in REFERRAL_KINDS else []
    if answer_kind == CLINIC_ANSWER:
        footer.append(clinic_contact_text(context.contact))
    if spanish:
        footer.append(f"_{NOTICE_ES}_")
    footer.append(f"_{NOTICE}_")
    parts.append(" ".join(footer))
    buttons = list(question.get("buttons") or [])
    if topic and topic in load_topics() and short != full:
        buttons += _titled(buttons_for([topic]), language)  # the whole answer, one tap away
    marker = TurnMarker(
        kind=CHECK_IN,
        notice=NOTICE,
        answer_kind=answer_kind,
        crisis_resources=True,
        topic=topic or None,
        acknowledged=acknowledged,
        nearest=nearest,
        clinic_words=shows_clinic_words,
        crisis_conversation=context.conversation.active,
    )
    composed = {
        **question,
        "text": "\n\n".join(part for part in parts if part),
        "buttons": buttons,
    }
    return with_marker(composed, marker)


def with_marker(response: Dict[str, Any], marker: TurnMarker) -> Dict[str, Any]:
    """The response carrying the turn's marker, as the wire carries it."""
    return {**response, CUSTOM: marker.to_custom()}


def marker_of(turn: Dict[str, Any]) -> TurnMarker:
    """The marker of a turn this module composed."""
    marker = TurnMarker.from_message(turn)
    assert marker is not None, "a composed turn always carries its marker"
    return marker


def acknowledgement(context: TurnContext) -> str:
    """The advice turn's first words: what the person told us, before what we cannot do."""
    concern = context.concerns[0] if context.concerns else ""
    if context.language == SPANISH:
        return _acknowledgement_es(concern, context)
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
    if concern == "coping":
        return "It takes strength to look for a way through this, and I'm glad you asked."
    if concern == "feelings":
        return "That sounds really hard, and I'm sorry you're going through it."
    if concern == "help_seeking":
        return "It's good that you're reaching out and looking for a way through this."
    return "Thank you for telling me about this."


def _acknowledgement_es(concern: str, context: TurnContext) -> str:
    phrase = spanish_texts.phrase
    if concern == "medication_practical":
        what = (
            phrase("ack_your", what=_joined(context.medications, SPANISH))
            if context.medications
            else phrase("ack_your_medication")
        )
        return phrase("ack_medication", what=what)
    if concern == "treatment_for_me":
        what = (
            _joined(context.treatments, SPANISH)
            if context.treatments
            else phrase("ack_a_treatment")
        )
        return phrase("ack_treatment", what=what)
    key = {
        "diagnosis": "ack_diagnosis",
        "coping": "ack_coping",
        "feelings": "ack_feelings",
        "help_seeking": "ack_help_seeking",
    }.get(concern, "ack_default")
    return phrase(key)


def acknowledges(kind: str, context: TurnContext) -> Optional[str]:
    """The concern an article (or a clinic's) answer acknowledges first, when the message was
    also about the writer (`TurnContext.acknowledge`); None otherwise."""
    if kind not in (ANSWER, CLINIC_ANSWER) or not context.acknowledge:
        return None
    return context.concerns[0] if context.concerns else None


def acknowledged_note(kind: str, context: TurnContext) -> str:
    """After an answer that acknowledged the writer: who can speak to their own case (for the
    clinic's answer, its contact line says it; a medication or treatment they named still gets
    its line)."""
    if kind == ANSWER:
        return own_case_note(context.medications, context.treatments, context.language)
    return own_treatment_note(context.medications, context.treatments, context.language)


def own_case_note(
    medications: Sequence[str], treatments: Sequence[str], language: str = ENGLISH
) -> str:
    """After an article answer to someone who told us about themselves: who can speak to their
    own case."""
    note = own_treatment_note(medications, treatments, language)
    if language == SPANISH:
        return note or spanish_texts.phrase("own_case")
    return note or (
        "That is what the article says in general; for your own situation, a professional who "
        "knows you and your history is the person to ask."
    )


def own_treatment_note(
    medications: Sequence[str], treatments: Sequence[str], language: str = ENGLISH
) -> str:
    """A line about the medication or treatment the person named, or nothing."""
    if language == SPANISH:
        if medications:
            return spanish_texts.phrase("own_medication", names=_joined(medications, SPANISH))
        if treatments:
            return spanish_texts.phrase("own_treatment", names=_joined(treatments, SPANISH))
        return ""
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


def _joined(names: Sequence[str], language: str = ENGLISH) -> str:
    unique = list(dict.fromkeys(names))[:3]
    last = spanish_texts.phrase("and") if language == SPANISH else " and "
    return unique[0] if len(unique) == 1 else ", ".join(unique[:-1]) + last + unique[-1]


def _buttons(
    response_name: str,
    kind: str,
    topic: Optional[str],
    context: TurnContext,
    has_own: bool = False,
) -> List[Dict[str, str]]:
    """The buttons a turn gets besides the response's own."""
    if kind == CRISIS:
        return []  # nothing competes with the crisis resources (only its own question's)
    conversation = context.conversation
    if kind == SUPPORT or conversation.active:
        # Inside the crisis conversation: ways forward, never a topic menu.
        if has_own or response_name in NO_BUTTONS_INSIDE:
            return []
        return crisis_conversation.ways_forward(context.language, conversation.plan)
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


def unavailable_turn(context: TurnContext, crisis: bool = False) -> Dict[str, Any]:
    """The turn sent when the assistant produced nothing (the action server or Redis is down).

    Nobody has read the message, so it always carries the region's crisis lines; when the
    channel's crisis rules match the message, it is a crisis turn."""
    spanish = context.language == SPANISH
    if crisis:
        text = UNAVAILABLE_CRISIS_TEXT_ES if spanish else UNAVAILABLE_CRISIS_TEXT
        turn = compose_turn("utter_crisis", {"text": text}, context)
    else:
        text = UNAVAILABLE_TEXT_ES if spanish else UNAVAILABLE_TEXT
        turn = compose_turn("utter_fallback", {"text": text}, context, lines_always=True)
    return with_marker(turn, replace(marker_of(turn), reason=UNAVAILABLE))
