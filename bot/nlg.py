"""The assistant's natural language generator: the domain's responses, composed into safe turns.

Configured in `endpoints.yml` (`nlg: type: bot.nlg.ClinicNaturalLanguageGenerator`), it runs inside
the Rasa server, so the notice, the referral and the crisis resources never depend on the action
server.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.clinic_answers import intake, intake_topic_of_response, intake_topics
from bot.crisis_conversation import ConversationState, Plan, plan_slots
from bot.nlu.answered_topic import RETRIEVAL_INTENTS, TOPIC_ENTITY, answered_label
from bot.nlu.language import LANGUAGE_KEY, default_detector
from bot.nlu.verdict import NEAREST_TOPIC, CrisisVerdict, PersonalVerdict
from bot.page_context import context_for
from bot.rasa_internals import install_server_patches
from bot.session import (
    crisis_conversation_language,
    in_crisis_conversation,
    latest_page_metadata,
    plan_milestones,
    resources_shown_earlier,
)
from bot.settings import load_settings
from bot.topics import RETRIEVAL_INTENT
from bot.turns import (
    BUILT_IN_RESPONSES,
    CHECK_IN_RESPONSE,
    ENGLISH,
    TurnContext,
    clinic_name_or_words,
    compose_check_in,
    compose_turn,
    follow_up_response,
    in_conversation,
    in_language,
)


class ClinicNaturalLanguageGenerator(TemplatedNaturalLanguageGenerator):
    """Fills the domain's responses and passes each through `compose_turn`."""

    def __init__(
        self, endpoint_config: Optional[EndpointConfig] = None, domain: Optional[Domain] = None
    ) -> None:
        super().__init__(domain.responses if domain else {})
        # Every Rasa server of this project creates one generator: the one place its patches
        # of Rasa's internals are installed (idempotent; bot.rasa_internals).
        install_server_patches()
        # Read the settings now, so that a clinic's answers with a mistake stop the server at
        # start-up with its place in the file (bot.clinic_answers), not at someone's question.
        load_settings()

    async def generate(
        self,
        utter_action: Text,
        tracker: DialogueStateTracker,
        output_channel: Text,
        **kwargs: Any,
    ) -> Optional[Dict[Text, Any]]:
        context = turn_context(tracker)
        # A follow-up ("how long does that take?") is worded for the latest answer's topic.
        utter_action = follow_up_response(utter_action, context.last_topic)
        values = {**kwargs, **fill_values(utter_action, context)}
        response = await super().generate(utter_action, tracker, output_channel, **values)
        if response is None and utter_action in BUILT_IN_RESPONSES:
            response = {"text": BUILT_IN_RESPONSES[utter_action]}
        if response is None:
            return None
        if utter_action == CHECK_IN_RESPONSE:
            answer_name = answered_response(tracker)
            values = {**kwargs, **fill_values(answer_name, context)}
            answer = await super().generate(answer_name, tracker, output_channel, **values)
            # A Spanish check-in asks, and answers, in Spanish (bot/texts_es.yml).
            response = in_language(utter_action, response, context.language)
            answer = in_language(answer_name, answer or {}, context.language)
            return compose_check_in(answer_name, answer, response, context)
        if context.conversation.active:
            response = in_conversation(utter_action, response, context.language)
        response = in_language(utter_action, response, context.language)
        return compose_turn(utter_action, response, context)


def fill_values(response_name: str, context: TurnContext) -> Dict[str, str]:
    """What the placeholders of the intake and follow-up responses (data/responses/intake.yml)
    are filled with: the clinic, what an intake topic is about, the latest answer's subject."""
    content = intake()
    topic = intake_topic_of_response(response_name) or context.last_topic
    about = intake_topics()[topic].about if topic in intake_topics() else ""
    return {
        "clinic": clinic_name_or_words(context.contact),
        "about": about,
        "subject": content.subject(context.last_topic),
    }


# What a check-in answers, by the intent the topic classifier gave the message.
_RESPONSE_BY_INTENT = {"personal_advice": "utter_advice", "not_covered": "utter_not_covered"}


def answered_response(tracker: Optional[DialogueStateTracker]) -> str:
    """The response a check-in carries: the one the message's intent names (an article or a
    clinic answer, the advice or the not-covered turn); for any other intent, the advice turn,
    which acknowledges the person and points to a professional."""
    parse = tracker.latest_message.parse_data if tracker and tracker.latest_message else {}
    ranked = {**parse, "intent": {"name": "check_in"}}
    label = answered_label(ranked)
    if label is None:
        return "utter_advice"
    if label.split("/", 1)[0] in RETRIEVAL_INTENTS and "/" in label:
        return f"utter_{label}"
    return _RESPONSE_BY_INTENT.get(label, "utter_advice")


def turn_context(tracker: Optional[DialogueStateTracker]) -> TurnContext:
    """The context of the tracker's latest turn."""
    parse = tracker.latest_message.parse_data if tracker and tracker.latest_message else {}
    events = list(tracker.events) if tracker else []
    personal = PersonalVerdict.from_parse_data(parse)
    conversation = conversation_state(tracker, events)
    language = message_language(parse)
    if conversation.active and language == ENGLISH:
        text = tracker.latest_message.text if tracker and tracker.latest_message else ""
        language = conversation_language(events, text)
    return replace(
        context_for(
            latest_page_metadata(events),
            _nearby_topics(tracker),
            resources_shown_earlier(events),
        ),
        crisis_categories=CrisisVerdict.from_parse_data(parse).rules,
        language=language,
        concerns=personal.concerns,
        acknowledge=personal.acknowledge,
        nearest=parse.get(NEAREST_TOPIC) is True,
        medications=_entity_values(parse, "medication"),
        treatments=_entity_values(parse, "treatment"),
        last_topic=latest_topic(tracker),
        conversation=conversation,
    )


def latest_topic(tracker: Optional[DialogueStateTracker]) -> Optional[str]:
    """The `topic` slot: the topic of the latest answer, which Rasa keeps from turn to turn."""
    value = tracker.get_slot(TOPIC_ENTITY) if tracker is not None else None
    return value if isinstance(value, str) and value else None


def conversation_state(
    tracker: Optional[DialogueStateTracker], events: List[Any]
) -> ConversationState:
    """The crisis conversation as the tracker has it: whether the session is in it, and the
    safety plan's answers (the form's slots)."""
    if tracker is None or not in_crisis_conversation(events):
        return ConversationState()
    slots = plan_slots()
    return ConversationState(
        active=True,
        plan=Plan(tuple(tracker.get_slot(slot) for slot in slots)),
        milestones=plan_milestones(events),
        just_answered=_plan_step_answered(events, slots),
    )


def _plan_step_answered(events: List[Any], slots: Any) -> Any:
    """The value the latest message gave a plan step in this turn (words, or False when it
    skipped one), or None when it gave none."""
    for event in reversed(events):
        if isinstance(event, UserUttered):
            return None
        if isinstance(event, SlotSet) and event.key in slots and event.value is not None:
            return event.value
    return None


# The detector's reasons for calling a message English that say only that it is too short to
# tell: inside a Spanish crisis conversation, such a message ("sí", "no sé", a button) is answered
# in Spanish.
_TOO_SHORT_TO_TELL = ("too short to tell", "payload", "no words")


def conversation_language(events: List[Any], text: str) -> str:
    """The language of a turn inside the crisis conversation: the conversation's own, unless the
    message is long enough to be told English."""
    language = crisis_conversation_language(events)
    if not language or language == ENGLISH:
        return ENGLISH
    return language if default_detector().detect(text).reason in _TOO_SHORT_TO_TELL else ENGLISH


_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")


def message_language(parse: Dict[str, Any]) -> str:
    """The language bot.nlu.language found in the message; English when it found none."""
    language = parse.get(LANGUAGE_KEY)
    return language if isinstance(language, str) and _LANGUAGE_CODE.match(language) else ENGLISH


def _entity_values(parse: Dict[str, Any], entity: str) -> Tuple[str, ...]:
    return tuple(
        str(found["value"])
        for found in parse.get("entities") or []
        if isinstance(found, dict) and found.get("entity") == entity and found.get("value")
    )


def _nearby_topics(tracker: Optional[DialogueStateTracker]) -> List[str]:
    if tracker is None or tracker.latest_message is None:
        return []
    ranking = tracker.latest_message.parse_data.get("intent_ranking") or []
    prefix = RETRIEVAL_INTENT + "/"
    return [
        entry["name"][len(prefix) :]
        for entry in ranking
        if isinstance(entry.get("name"), str) and entry["name"].startswith(prefix)
    ]
