"""Follow-ups: "tell me more", "why?", "how does that work?" after an answer."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.topics import load_topics

# The domain's slot that keeps the topic of the latest answer (bot/nlu/answered_topic.py).
TOPIC_SLOT = "topic"


class ActionFollowUp(Action):
    """Continues the latest answer's topic with its deeper topic."""

    def name(self) -> Text:
        return "action_follow_up"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Dict[Text, Any],
    ) -> List[Dict[Text, Any]]:
        topics = load_topics()
        last = latest_topic(tracker)
        if last not in topics:
            # No article answer to continue (nothing yet, or one of the clinic's answers).
            dispatcher.utter_message(response="utter_capabilities")
            return []
        deeper = topics[last].deeper
        # Responses are named, not written here, so the Rasa server adds the notice and referral.
        dispatcher.utter_message(response=topics[deeper].response)
        # The deeper topic is now the latest answer's: the next follow-up goes on from it.
        return [SlotSet(TOPIC_SLOT, deeper)]


def latest_topic(tracker: Tracker) -> Optional[Text]:
    """The `topic` slot, which Rasa keeps from turn to turn."""
    value = tracker.get_slot(TOPIC_SLOT)
    return value if isinstance(value, str) and value else None
