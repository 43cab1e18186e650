"""Makes a message a crisis turn when the crisis rules or the classifier signal danger.

Recall comes first: a rule match is enough, whatever the classifier's confidence in other
intents. So is the classifier's crisis probability at the threshold, unless the rules found that
the message's danger words are an idiom, a statement of safety, a research question or the long
past. A crisis gets full confidence so no fallback threshold can hide it.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import SPACY_DOCS
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.spacy_pipeline import CONTEXT_SPANS, CRISIS_SPANS

CRISIS_OUTPUT = "crisis"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class CrisisGuard(GraphComponent):
    """Overrides the intent with `crisis` on a rule match or a likely classifier crisis."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "crisis_intent": "crisis",
            # The classifier's crisis probability at which the message counts as a crisis.
            "classifier_threshold": 0.25,
        }

    def __init__(self, config: Dict[Text, Any]) -> None:
        self._intent = config["crisis_intent"]
        self._threshold = config["classifier_threshold"]

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CrisisGuard:
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            rules = rule_categories(message)
            contexts = rule_contexts(message)
            probability = self._classifier_probability(message)
            classifier_says_crisis = probability >= self._threshold and not contexts
            ranking = [
                entry
                for entry in message.get(INTENT_RANKING_KEY) or []
                if entry.get("name") != self._intent
            ]
            if rules or classifier_says_crisis:
                crisis = {"name": self._intent, "confidence": 1.0}
                message.set(INTENT, crisis, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [crisis, *ranking], add_to_output=True)
            elif (message.get(INTENT) or {}).get("name") == self._intent and ranking:
                # The classifier's top guess was crisis, but the rules show the danger words are
                # an idiom, a statement of safety, research or the past: the next guess answers.
                message.set(INTENT, ranking[0], add_to_output=True)
            # Categories only, never the matched words: parse results can reach logs and trackers.
            message.set(
                CRISIS_OUTPUT,
                {
                    "rules": rules,
                    "contexts": contexts,
                    "classifier": round(probability, 3),
                },
                add_to_output=True,
            )
        return messages

    def _classifier_probability(self, message: Message) -> float:
        for entry in message.get(INTENT_RANKING_KEY) or []:
            if entry.get("name") == self._intent:
                return float(entry.get("confidence") or 0.0)
        return 0.0


def rule_categories(message: Message) -> List[Text]:
    """The crisis categories the spaCy crisis matcher found in the message."""
    doc: Optional[Any] = message.get(SPACY_DOCS[TEXT])
    if doc is None or CRISIS_SPANS not in doc.spans:
        return []
    return sorted({span.label_ for span in doc.spans[CRISIS_SPANS]})


def rule_contexts(message: Message) -> List[Text]:
    """Why the message's danger words are not about present danger (idiom, safety, ...), if so."""
    doc: Optional[Any] = message.get(SPACY_DOCS[TEXT])
    if doc is None or CONTEXT_SPANS not in doc.spans:
        return []
    return sorted({span.label_ for span in doc.spans[CONTEXT_SPANS]})

