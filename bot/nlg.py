"""The assistant's natural language generator: the domain's responses, composed into safe turns.

Configured in `endpoints.yml` (`nlg: type: bot.nlg.ClinicNaturalLanguageGenerator`), it runs inside
the Rasa server, so the notice, the referral and the crisis resources never depend on the action
server.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Dict, List, Optional, Sequence, Text, Tuple

from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, Restarted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot import rasa_speedups
from bot.settings import PAGE_KEYS, effective_contact, load_settings, page_settings_from
from bot.topics import RETRIEVAL_INTENT
from bot.turns import BUILT_IN_RESPONSES, CRISIS, TurnContext, compose_turn

rasa_speedups.install()


class ClinicNaturalLanguageGenerator(TemplatedNaturalLanguageGenerator):
    """Fills the domain's responses and passes each through `compose_turn`."""

    def __init__(
        self, endpoint_config: Optional[EndpointConfig] = None, domain: Optional[Domain] = None
    ) -> None:
        super().__init__(domain.responses if domain else {})

    async def generate(
        self,
        utter_action: Text,
        tracker: DialogueStateTracker,
        output_channel: Text,
        **kwargs: Any,
    ) -> Optional[Dict[Text, Any]]:
        response = await super().generate(utter_action, tracker, output_channel, **kwargs)
        if response is None and utter_action in BUILT_IN_RESPONSES:
            response = {"text": BUILT_IN_RESPONSES[utter_action]}
        if response is None:
            return None
        return compose_turn(utter_action, response, turn_context(tracker))


def turn_context(tracker: Optional[DialogueStateTracker]) -> TurnContext:
    """The context of the tracker's latest turn."""
    parse = tracker.latest_message.parse_data if tracker and tracker.latest_message else {}
    return replace(
        context_for(
            _latest_page_metadata(tracker), _nearby_topics(tracker), _crisis_in_session(tracker)
        ),
        crisis_categories=tuple((parse.get("crisis") or {}).get("rules") or ()),
        crisis_check_in=bool((parse.get("crisis") or {}).get("check_in")),
        medications=_entity_values(parse, "medication"),
        treatments=_entity_values(parse, "treatment"),
    )


def context_for(
    metadata: Any, nearby_topics: Sequence[str] = (), crisis_earlier: bool = False
) -> TurnContext:
    """The deployment's settings, overridden by the valid values the page sent as metadata."""
    settings = load_settings()
    page = page_settings_from(metadata)
    return TurnContext(
        settings=settings,
        contact=effective_contact(settings, page),
        region=page.region or settings.crisis_region,
        nearby_topics=tuple(nearby_topics),
        crisis_earlier=crisis_earlier,
    )


def _entity_values(parse: Dict[str, Any], entity: str) -> Tuple[str, ...]:
    return tuple(
        str(found["value"])
        for found in parse.get("entities") or []
        if isinstance(found, dict) and found.get("entity") == entity and found.get("value")
    )


def _latest_page_metadata(tracker: Optional[DialogueStateTracker]) -> Dict[str, Any]:
    """The metadata of the session's latest user message that carried page settings."""
    if tracker is None:
        return {}
    for event in reversed(tracker.events):
        if isinstance(event, (SessionStarted, Restarted)):
            return {}
        if isinstance(event, UserUttered) and isinstance(event.metadata, dict):
            if any(key in event.metadata for key in PAGE_KEYS):
                return event.metadata
    return {}


def _crisis_in_session(tracker: Optional[DialogueStateTracker]) -> bool:
    """Whether the current session already had a crisis turn (a restart or new session resets)."""
    if tracker is None:
        return False
    for event in reversed(tracker.events):
        if isinstance(event, (SessionStarted, Restarted)):
            return False
        if (
            isinstance(event, BotUttered)
            and ((event.data or {}).get("custom") or {}).get("kind") == CRISIS
        ):
            return True
    return False


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
