"""The topic a turn answers, as the `topic` entity: what the `topic` slot remembers for follow-ups.

The last component of the pipeline, so it sees the decision the crisis guard, the personal router
and the fallback classifier left: an article answer (`faq/<topic>`), a clinic answer
(`clinic/<topic>`), or a check-in that carries one. Its entity fills the domain's `topic` slot
(a `from_entity` mapping), which Rasa keeps across turns; a short follow-up such as "how long does
that take?" is then read against it (`bot.nlg`, `data/rules/follow_ups.yml`). Every other message
leaves the slot as it was. The value is a label of the catalogue, never the person's words.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_PROPERTY_NAME,
)
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    INTENT,
    INTENT_RANKING_KEY,
    INTENT_RESPONSE_KEY,
    RESPONSE_IDENTIFIER_DELIMITER,
)
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.verdict import CHECK_IN, CRISIS

TOPIC_ENTITY = "topic"
RETRIEVAL_INTENTS = ("faq", "clinic")
# Not words to answer: the crisis guard's own decisions.
GUARD_INTENTS = (CRISIS, CHECK_IN)


def answered_label(parse: Mapping[str, Any]) -> Optional[str]:
    """The label a turn answers with: `faq/<topic>` or `clinic/<topic>` for a topic's answer,
    else the intent. A check-in answers with the best guess below the guard's decision (which
    the personal router may have made the advice turn)."""
    intent = parse.get(INTENT) or {}
    name = intent.get("name") if isinstance(intent, Mapping) else None
    if name == CHECK_IN:
        for entry in parse.get(INTENT_RANKING_KEY) or []:
            label = entry.get("name") if isinstance(entry, Mapping) else None
            if isinstance(label, str) and label not in GUARD_INTENTS:
                return label
        return None
    if name in RETRIEVAL_INTENTS:
        selector = (parse.get(RESPONSE_SELECTOR_PROPERTY_NAME) or {}).get(name) or {}
        label = (selector.get(RESPONSE_SELECTOR_PREDICTION_KEY) or {}).get(INTENT_RESPONSE_KEY)
        return str(label) if label else None
    return str(name) if name else None


def topic_of_label(label: Optional[str]) -> Optional[str]:
    """`bdnf` for `faq/bdnf`, `cost` for `clinic/cost`; None for any other label."""
    if not label or RESPONSE_IDENTIFIER_DELIMITER not in label:
        return None
    intent, topic = label.split(RESPONSE_IDENTIFIER_DELIMITER, 1)
    return topic if intent in RETRIEVAL_INTENTS and topic else None


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class AnsweredTopic(GraphComponent):
    """Adds the `topic` entity to a message answered by a topic."""

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> AnsweredTopic:
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            parse = {
                INTENT: message.get(INTENT),
                INTENT_RANKING_KEY: message.get(INTENT_RANKING_KEY),
                RESPONSE_SELECTOR_PROPERTY_NAME: message.get(RESPONSE_SELECTOR_PROPERTY_NAME),
            }
            topic = topic_of_label(answered_label(parse))
            if topic:
                entity = {
                    ENTITY_ATTRIBUTE_TYPE: TOPIC_ENTITY,
                    ENTITY_ATTRIBUTE_VALUE: topic,
                    EXTRACTOR: AnsweredTopic.__name__,
                }
                message.set(ENTITIES, [*(message.get(ENTITIES) or []), entity], add_to_output=True)
        return messages
