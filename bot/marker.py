"""The turn marker: what a bot turn tells its readers besides its words, in one definition.

`bot.turns` composes one for every turn and puts it in the response's `custom` payload. From
there Rasa carries it two ways: to the REST reply, as the `custom` of one message, and into the
tracker, as the `custom` of the `BotUttered` event's data (which the action server and the event
broker get as a dict). Its readers, each through this module: the session questions
(`bot.session`), the REST channel (`bot.channels`), the follow-up action, the clinic insights,
the real-messages evaluation and the benchmark.

On the wire it is a JSON object. Keys with no value are left out (never null or false), and
keys come in the order they have always been written in:

    {"kind": "answer", "notice": "...", "topic": "bdnf", "crisis_resources": true,
     "language": "es", "reason": "unavailable"}
    {"kind": "check_in", "notice": "...", "answer_kind": "answer", "crisis_resources": true,
     "topic": "bdnf"}
    {"kind": "answer", "notice": "...", "topic": "ssri_nonresponse", "acknowledged": "feelings"}
    {"kind": "clinic_answer", "notice": "...", "topic": "cost", "clinic_words": true}
    {"kind": "support", "notice": "...", "crisis_resources": true, "safety_plan": "started"}
    {"kind": "answer", "notice": "...", "topic": "bdnf", "crisis_resources": true,
     "crisis_conversation": true}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, Mapping, Optional, Sequence

if TYPE_CHECKING:
    from rasa.shared.core.events import Event

# Where the marker travels: the `custom` payload of a response, a reply message, an event's data.
CUSTOM = "custom"
# A tracker event as a dict (`Event.as_dict()`): its type, a bot event's type, its data.
EVENT_TYPE = "event"
BOT_EVENT = "bot"
EVENT_DATA = "data"

# The turn kinds.
ANSWER = "answer"
CRISIS = "crisis"
ADVICE = "advice"
NOT_COVERED = "not_covered"
OUT_OF_SCOPE = "out_of_scope"
FALLBACK = "fallback"
SMALLTALK = "smalltalk"
# Unsure whether someone is in danger: the answer, the crisis lines and the question, in one turn.
CHECK_IN = "check_in"
# A turn of the crisis conversation's own (bot.crisis_conversation): asking whether the person is
# safe, the answers about reaching out, the safety plan, grounding, following up.
SUPPORT = "support"
# A question about the clinic itself (cost, hours, booking...): the clinic's own words when it
# wrote an answer (`clinic_words`), else that it has not, with how to reach it.
CLINIC_ANSWER = "clinic_answer"
KINDS = (
    ANSWER,
    CRISIS,
    CHECK_IN,
    ADVICE,
    NOT_COVERED,
    OUT_OF_SCOPE,
    FALLBACK,
    SMALLTALK,
    SUPPORT,
    CLINIC_ANSWER,
)
# Turns after which every later turn of the session keeps the crisis lines in reach.
RESOURCE_KINDS = (CRISIS, CHECK_IN, SUPPORT)

# Why a turn was sent by the REST channel itself: Rasa produced none.
UNAVAILABLE = "unavailable"

# What a turn did with the safety plan: the first turn of the session that offered it, its first
# question, the first time it was shown finished (all insights learn of a plan), and the finished
# plan shown again (the widget offers to print or save it whenever it is shown).
PLAN_OFFERED = "offered"
PLAN_STARTED = "started"
PLAN_FINISHED = "finished"
PLAN_SHOWN = "shown"
PLAN_MILESTONES = (PLAN_OFFERED, PLAN_STARTED, PLAN_FINISHED)

# The keys, in the order a turn's marker has always written them; a check-in (a marker with an
# answer's kind) writes that kind after the notice, and its topic after the crisis resources.
_KIND = "kind"
_NOTICE = "notice"
_TOPIC = "topic"
_ANSWER_KIND = "answer_kind"
_CRISIS_RESOURCES = "crisis_resources"
_LANGUAGE = "language"
_REASON = "reason"
_ACKNOWLEDGED = "acknowledged"
_NEAREST = "nearest"
_CLINIC_WORDS = "clinic_words"
_CRISIS_CONVERSATION = "crisis_conversation"
_SAFETY_PLAN = "safety_plan"
# The crisis conversation's keys came later, so they come last.
_TURN_ORDER = (
    _KIND,
    _NOTICE,
    _TOPIC,
    _NEAREST,
    _ACKNOWLEDGED,
    _CLINIC_WORDS,
    _CRISIS_RESOURCES,
    _LANGUAGE,
    _REASON,
    _CRISIS_CONVERSATION,
    _SAFETY_PLAN,
)
_CHECK_IN_ORDER = (
    _KIND,
    _NOTICE,
    _ANSWER_KIND,
    _CRISIS_RESOURCES,
    _TOPIC,
    _NEAREST,
    _ACKNOWLEDGED,
    _CLINIC_WORDS,
    _LANGUAGE,
    _REASON,
    _CRISIS_CONVERSATION,
    _SAFETY_PLAN,
)


@dataclass(frozen=True)
class TurnMarker:
    """One turn's marker. Read leniently: a value of the wrong type counts as absent."""

    kind: str
    # The general-information notice the turn ends with.
    notice: Optional[str] = None
    # The catalogue topic an answer (or a check-in's answer) is about; for a clinic answer, the
    # intake topic (cost, hours...).
    topic: Optional[str] = None
    # A check-in's: the kind of the answer it carries (answer, advice, not_covered, clinic_answer).
    answer_kind: Optional[str] = None
    # The turn shows the crisis lines (a crisis turn, a check-in, a reminder after either).
    crisis_resources: bool = False
    # The message's language (ISO 639-1), only when it is not English.
    language: Optional[str] = None
    # Why the turn was sent as it was: `UNAVAILABLE` when the channel sent it, Rasa had none.
    reason: Optional[str] = None
    # An answer that first acknowledged the writer's own situation: the concern it named
    # (feelings, diagnosis, treatment_for_me...); the article's answer and a professional's
    # pointer follow in the same turn.
    acknowledged: Optional[str] = None
    # An answer to a question the article does not answer exactly: its nearest topic, said so.
    nearest: bool = False
    # A clinic answer that shows the clinic's own words (not "it hasn't written one here yet").
    clinic_words: bool = False
    # A turn of another kind inside the crisis conversation (an article answer, thanks...): the
    # session had a crisis turn or a support turn, which belong to it by their kind.
    crisis_conversation: bool = False
    # What the turn did with the safety plan: one of `PLAN_MILESTONES`, `PLAN_SHOWN`, or None.
    safety_plan: Optional[str] = None

    @property
    def keeps_resources_in_reach(self) -> bool:
        """A crisis turn, a check-in or any turn of the crisis conversation: every later turn of
        the session repeats the lines."""
        return self.kind in RESOURCE_KINDS or self.crisis_conversation

    @property
    def opens_crisis_conversation(self) -> bool:
        """The session is in the crisis conversation from this turn on."""
        return self.kind in (CRISIS, SUPPORT) or self.crisis_conversation

    @property
    def shows_resources(self) -> bool:
        """The person saw the crisis lines with this turn."""
        return self.keeps_resources_in_reach or self.crisis_resources

    def to_custom(self) -> Dict[str, Any]:
        """The marker as the wire carries it (the response's `custom` payload)."""
        values: Dict[str, Any] = {
            _KIND: self.kind,
            _NOTICE: self.notice,
            _TOPIC: self.topic,
            _ANSWER_KIND: self.answer_kind,
            _CRISIS_RESOURCES: True if self.crisis_resources else None,
            _LANGUAGE: self.language,
            _REASON: self.reason,
            _ACKNOWLEDGED: self.acknowledged,
            _NEAREST: True if self.nearest else None,
            _CLINIC_WORDS: True if self.clinic_words else None,
            _CRISIS_CONVERSATION: True if self.crisis_conversation else None,
            _SAFETY_PLAN: self.safety_plan,
        }
        order = _CHECK_IN_ORDER if self.answer_kind is not None else _TURN_ORDER
        return {key: values[key] for key in order if values[key] is not None}

    @classmethod
    def from_custom(cls, custom: Any) -> Optional[TurnMarker]:
        """The marker in a `custom` payload; None when it is not one (no kind)."""
        if not isinstance(custom, Mapping) or not isinstance(custom.get(_KIND), str):
            return None
        return cls(
            kind=custom[_KIND],
            notice=_text(custom.get(_NOTICE)),
            topic=_text(custom.get(_TOPIC)),
            answer_kind=_text(custom.get(_ANSWER_KIND)),
            crisis_resources=custom.get(_CRISIS_RESOURCES) is True,
            language=_text(custom.get(_LANGUAGE)),
            reason=_text(custom.get(_REASON)),
            acknowledged=_text(custom.get(_ACKNOWLEDGED)),
            nearest=custom.get(_NEAREST) is True,
            clinic_words=custom.get(_CLINIC_WORDS) is True,
            crisis_conversation=custom.get(_CRISIS_CONVERSATION) is True,
            safety_plan=_text(custom.get(_SAFETY_PLAN)),
        )

    @classmethod
    def from_message(cls, message: Any) -> Optional[TurnMarker]:
        """The marker of one message of a reply, or of a composed response."""
        return cls.from_custom(message.get(CUSTOM)) if isinstance(message, Mapping) else None

    @classmethod
    def from_event(cls, event: Event) -> Optional[TurnMarker]:
        """The marker a tracker's bot event carries; None for any other event."""
        # Imported here: the action server and the evaluations read markers without Rasa core.
        from rasa.shared.core.events import BotUttered

        if not isinstance(event, BotUttered):
            return None
        return cls.from_message(event.data)

    @classmethod
    def from_event_dict(cls, event: Any) -> Optional[TurnMarker]:
        """The marker of a bot event as a dict (the action server's tracker, the event broker)."""
        if not isinstance(event, Mapping) or event.get(EVENT_TYPE) != BOT_EVENT:
            return None
        return cls.from_message(event.get(EVENT_DATA))


def _text(value: Any) -> Optional[str]:
    return value if isinstance(value, str) else None


def carries_marker(message: Mapping[str, Any]) -> bool:
    """Whether a sent message holds the turn's marker: the only `custom` payload this project
    sends is a marker, so holding one means the turn was sent."""
    return CUSTOM in message


def marker_position(messages: Sequence[Mapping[str, Any]]) -> Optional[int]:
    """Where in a reply the message with the marker is."""
    return next((i for i, sent in enumerate(messages) if carries_marker(sent)), None)


def reply_marker(messages: Sequence[Mapping[str, Any]]) -> Optional[TurnMarker]:
    """The marker of a reply (the REST webhook's list of messages), if one holds one."""
    position = marker_position(messages)
    return None if position is None else TurnMarker.from_message(messages[position])


def last_message_marker(reply: Any) -> Optional[TurnMarker]:
    """The marker of a reply's last message, where a whole turn puts it; None for anything
    else (not a list, empty, no marker there)."""
    if not isinstance(reply, list) or not reply:
        return None
    return TurnMarker.from_message(reply[-1])
