"""Follow-ups: "tell me more", "why?", "how does that work?" after an answer."""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.marker import ANSWER, TurnMarker
from bot.topics import load_topics


class ActionFollowUp(Action):
    """Continues the last answered topic with its deeper topic."""

    def name(self) -> Text:
        return "action_follow_up"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Dict[Text, Any],
    ) -> List[Dict[Text, Any]]:
        topics = load_topics()
        last = last_answered_topic(tracker.events)
        if last not in topics:
            dispatcher.utter_message(response="utter_capabilities")
            return []
        # Responses are named, not written here, so the Rasa server adds the notice and referral.
        dispatcher.utter_message(response=topics[topics[last].deeper].response)
        return []


def last_answered_topic(events: Iterable[Dict[Text, Any]]) -> Optional[Text]:
    """The topic of the latest answer turn, read from the turn markers in the bot's events."""
    for event in reversed(list(events)):
        marker = TurnMarker.from_event_dict(event)
        if marker is not None and marker.kind == ANSWER and marker.topic:
            return marker.topic
    return None
