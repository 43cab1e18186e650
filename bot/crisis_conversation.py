"""The crisis conversation: after a crisis turn, the assistant stays with the person.

It is entered by a crisis turn (or "yes" to the check-in, which gets one) and lasts the session.
Its dialogue is Rasa's own, inside the Rasa server: the answers to "Are you safe right now?",
the worries about reaching out, grounding and the rest are rules
(`data/rules/crisis_conversation.yml`), the safety plan is a form (`safety_plan_form` in
`domain.yml`), and the follow-up a few turns later is `bot.crisis_policy`. Nothing of it
needs the action server.

This module holds what its turns read besides the domain's English responses
(`bot/crisis_conversation.yml`: ways forward, how other turns read inside it, the plan's pieces,
the clinic line's open or closed, Spanish) and the pieces `bot.turns` composes them from. What
the session knows about the conversation is asked of `bot.session`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple

import yaml

from bot.crisis_lines import HelpLine
from bot.line_hours import open_now
from bot.marker import PLAN_FINISHED, PLAN_OFFERED, PLAN_SHOWN, PLAN_STARTED
from bot.payload import payload_for

CONTENT_PATH = Path(__file__).with_name("crisis_conversation.yml")
ENGLISH = "en"
SPANISH = "es"

PLAN_FORM = "safety_plan_form"
# The plan's questions ask the form's slots in order: `utter_ask_<slot>`.
ASK_PREFIX = "utter_ask_"
FINISHED_PLAN = "utter_safety_plan"
PLAN_PAYLOAD = payload_for("make_safety_plan")
# The person may not be safe: the emergency number first, then every line, then the words.
URGENT_RESPONSES = frozenset({"utter_crisis_unsafe", "utter_crisis_unsure", "utter_crisis_alone"})
# The enhanced referral: the clinic's own line, open or closed now, comes with each of them.
REFERRAL_PREFIX = "utter_reach_out"
# Answers about the US 988 Lifeline, which a page set to another region is told so.
US_LINE_ANSWERS = frozenset(
    {
        "utter_reach_out_what_happens",
        "utter_reach_out_police",
        "utter_reach_out_no_talking",
        "utter_reach_out_free_private",
        "utter_reach_out_not_bad_enough",
    }
)
FREE_PRIVATE = "utter_reach_out_free_private"
# The turns of the conversation's own (turn kind `support`): data/responses/crisis_conversation.yml.
SUPPORT_RESPONSES = frozenset(
    {
        "utter_crisis_safe",
        "utter_crisis_unsafe",
        "utter_crisis_unsure",
        "utter_crisis_ask_safety",
        "utter_crisis_with_someone",
        "utter_crisis_alone",
        "utter_crisis_follow_up",
        "utter_crisis_welcome_back",
        "utter_crisis_reached",
        "utter_crisis_not_reached",
        "utter_reach_out",
        "utter_reach_out_what_happens",
        "utter_reach_out_police",
        "utter_reach_out_no_talking",
        "utter_reach_out_free_private",
        "utter_reach_out_not_bad_enough",
        "utter_reach_out_tried_before",
        "utter_reach_out_outside_us",
        "utter_grounding",
        "utter_means_safety",
        "utter_ask_plan_warning_signs",
        "utter_ask_plan_coping",
        "utter_ask_plan_distractions",
        "utter_ask_plan_people",
        "utter_ask_plan_professionals",
        "utter_ask_plan_environment",
        FINISHED_PLAN,
        "utter_plan_paused",
        "utter_something_else",
    }
)
# Inside the conversation, these turns end with nothing to tap: the person is leaving.
NO_BUTTONS_INSIDE = frozenset({"utter_goodbye"})
# A plan answer as it is shown: the person's own words, without what Markdown would read.
MAX_ANSWER_CHARS = 300
_MARKDOWN = re.compile(r"[*_`\[\]()<>#|~\\]")


class CrisisConversationContentError(ValueError):
    """bot/crisis_conversation.yml is missing something the conversation needs."""


@dataclass(frozen=True)
class Content:
    """bot/crisis_conversation.yml, read once."""

    ways_forward: Dict[str, List[Dict[str, str]]]
    in_conversation: Dict[str, Dict[str, str]]
    spanish: Dict[str, Dict[str, Any]]
    plan: Dict[str, Any]
    clinic_line: Dict[str, Dict[str, str]]
    region_notes: Dict[str, Any]
    danger_now: Dict[str, Any]

    @property
    def plan_slots(self) -> Tuple[str, ...]:
        return tuple(step["slot"] for step in self.plan["steps"])


@lru_cache(maxsize=1)
def content() -> Content:
    data = yaml.safe_load(CONTENT_PATH.read_text(encoding="utf-8"))
    missing = [key for key in Content.__dataclass_fields__ if key not in data]
    if missing:
        raise CrisisConversationContentError(f"{CONTENT_PATH.name}: missing {missing}")
    loaded = Content(**{key: data[key] for key in Content.__dataclass_fields__})
    for language in (ENGLISH, SPANISH):
        if len(loaded.ways_forward.get(language) or []) < 2:
            raise CrisisConversationContentError(f"ways_forward.{language}: at least two buttons")
    if len(loaded.plan_slots) != 6:
        raise CrisisConversationContentError("plan.steps: the six Stanley-Brown steps")
    return loaded


def plan_slots() -> Tuple[str, ...]:
    """The safety plan's slots, in the order of its steps."""
    return content().plan_slots


def plan_question_index(response_name: str) -> Optional[int]:
    """Which step a plan question asks (0-5), or None for any other response."""
    if not response_name.startswith(ASK_PREFIX):
        return None
    slot = response_name[len(ASK_PREFIX) :]
    slots = plan_slots()
    return slots.index(slot) if slot in slots else None


def _words(table: Mapping[str, Any], language: str) -> str:
    return str(table.get(language) or table[ENGLISH])


@dataclass(frozen=True)
class Plan:
    """The safety plan so far: each step's answer (the person's words), False when skipped,
    None when not asked yet."""

    answers: Tuple[Any, ...] = (None,) * 6

    @property
    def started(self) -> bool:
        return any(answer is not None for answer in self.answers)

    @property
    def finished(self) -> bool:
        return all(answer is not None for answer in self.answers)


@dataclass(frozen=True)
class ConversationState:
    """What a turn inside the crisis conversation depends on (bot.nlg reads it)."""

    # The session is in the crisis conversation (bot.session.in_crisis_conversation).
    active: bool = False
    plan: Plan = field(default_factory=Plan)
    # The plan milestones the session's turns have already recorded (offered, started...).
    milestones: FrozenSet[str] = frozenset()
    # The plan step the latest message answered in this turn: its value (words or False), or
    # None when the message answered no step (the plan was just started or resumed).
    just_answered: Any = None


# --- how turns read inside the conversation -------------------------------------------------


def reworded(response_name: str, language: str) -> Optional[str]:
    """How a response outside the conversation's own reads inside it (no menu, no "pick a
    topic"), in the turn's language; None where it reads as it always does."""
    table = content().in_conversation.get(response_name)
    if not table:
        return None
    text = table.get(language) or (None if language != ENGLISH else table.get(ENGLISH))
    return str(text) if text else None


def in_spanish(response_name: str, response: Dict[str, Any]) -> Dict[str, Any]:
    """The conversation's response in Spanish: its text and its buttons' titles (the English
    response's payloads, in its order)."""
    spanish = content().spanish.get(response_name)
    if not spanish:
        return response
    translated = dict(response)
    if spanish.get("text"):
        translated["text"] = spanish["text"]
    titles = spanish.get("buttons")
    buttons = list(response.get("buttons") or [])
    if titles and len(titles) == len(buttons):
        translated["buttons"] = [
            {**button, "title": title} for button, title in zip(buttons, titles, strict=True)
        ]
    return translated


def ways_forward(language: str, plan: Plan) -> List[Dict[str, str]]:
    """The buttons of a turn inside the conversation that has none of its own."""
    buttons = []
    for entry in content().ways_forward.get(language) or content().ways_forward[ENGLISH]:
        title = entry["title"]
        if entry["payload"] == PLAN_PAYLOAD:
            if plan.finished:
                title = entry.get("finished", title)
            elif plan.started:
                title = entry.get("started", title)
        buttons.append({"title": title, "payload": entry["payload"]})
    return buttons


def plan_milestone(
    response_name: str, buttons: Sequence[Mapping[str, Any]], state: ConversationState
) -> Optional[str]:
    """What this turn does with the safety plan, the first time in the session it does it; the
    finished plan shown again says so every time (the widget offers to print or save it)."""
    if response_name == FINISHED_PLAN:
        if PLAN_FINISHED in state.milestones:
            return PLAN_SHOWN
        found = PLAN_FINISHED
    elif plan_question_index(response_name) is not None:
        found = PLAN_STARTED
    elif any(button.get("payload") == PLAN_PAYLOAD for button in buttons):
        found = PLAN_OFFERED
    else:
        return None
    return None if found in state.milestones else found


def plan_question_lead(response_name: str, state: ConversationState, language: str) -> str:
    """What comes before a plan question: the introduction before the plan's first question,
    "let's pick up" when it resumes, thanks or "that's okay" after an answer or a skip."""
    if plan_question_index(response_name) is None:
        return ""
    words = content().plan
    if state.just_answered is False:
        return _words(words["skipped"], language)
    if state.just_answered is not None:
        return _words(words["answered"], language)
    if PLAN_STARTED in state.milestones:
        return _words(words["resumed"], language)
    return _words(words["intro"], language)


def plain_answer(answer: Any) -> str:
    """The person's words as the plan shows them: one line, nothing Markdown would read."""
    text = " ".join(str(answer).split())
    text = _MARKDOWN.sub("", text).strip()
    if len(text) > MAX_ANSWER_CHARS:
        text = text[: MAX_ANSWER_CHARS - 1].rstrip() + "…"
    return text


def plan_text(plan: Plan, language: str, lines: str) -> str:
    """The finished plan: each step with its answer; step 5 also lists the crisis lines."""
    words = content().plan
    not_filled = _words(words["not_filled"], language)
    items = []
    for number, (step, answer) in enumerate(
        zip(words["steps"], plan.answers, strict=True), start=1
    ):
        shown = plain_answer(answer) if isinstance(answer, str) and answer.strip() else ""
        if step["slot"] == "plan_professionals":
            listed = f"{_words(words['lines'], language)} {lines}"
            shown = f"{shown}. {listed}" if shown else listed
        items.append(f"{number}. **{_words(step, language)}:** {shown or not_filled}")
    return "\n".join(items) + "\n\n" + _words(words["the_end"], language)


def danger_now(numbers: Sequence[str], links: str, language: str) -> str:
    """The line that puts the emergency number first when the person may not be safe."""
    table = content().danger_now
    if not numbers:
        return _words(table["local"], language)
    joiner = " or " if language == ENGLISH else " o al "
    sentence = _words(table, language).format(numbers=joiner.join(numbers))
    return f"{sentence} {links}"


def clinic_line_text(
    line: Optional[HelpLine],
    zone: Optional[str],
    ways: str,
    language: str,
    now: Optional[datetime] = None,
) -> str:
    """The clinic's own line in a referral turn: open or closed now when its hours can be read
    and its time zone is set, else with its hours as written."""
    if line is None:
        return ""
    table = content().clinic_line
    is_open = open_now(line.hours, zone, now)
    if is_open is True and line.hours:
        template = table["open"]
    elif is_open is False and line.hours:
        template = table["closed"]
    elif line.hours:
        template = table["hours_only"]
    else:
        template = table["always"]
    return _words(template, language).format(name=line.name, hours=line.hours or "", ways=ways)


def region_note(response_name: str, region: str, language: str) -> str:
    """What a page set to another region than the US is told after an answer about 988."""
    if region.upper() == "US" or response_name not in US_LINE_ANSWERS:
        return ""
    notes = content().region_notes
    parts = [_words(notes["other"], language)]
    regional = (notes.get("free_private") or {}).get(region.upper())
    if response_name == FREE_PRIVATE and regional:
        parts.append(_words(regional, language))
    return " ".join(parts)
