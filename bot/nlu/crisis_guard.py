"""Makes a message a crisis turn when the crisis rules or the classifier signal danger.

Recall comes first: a rule match is enough, whatever the classifier's confidence in other
intents. So is the crisis classifier's probability at the threshold, unless the rules found that
the message's danger words are an idiom, a statement of safety, a research question or the long
past. The crisis classifier is the guard's own binary model (`bot.nlu.crisis_classifier`),
trained on the `crisis` examples against every other example. A crisis gets full confidence so
no fallback threshold can hide it. When the classifier is unsure (at least the check-in
threshold, below the crisis threshold) and no context explains the words, the message keeps its
intent and its answer carries the crisis resources: when in doubt, they are shown.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import SPACY_DOCS
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.crisis_classifier import CrisisClassifier
from bot.nlu.features import code_fingerprint
from bot.spacy_pipeline import CONTEXT_SPANS, CRISIS_SPANS

logger = logging.getLogger(__name__)
# A button's payload (`/faq/ketamine_suicidality`) is a choice, not words to weigh; the rules
# still read it.
_PAYLOAD = re.compile(r"^/[a-z0-9_/]+$")

CRISIS_OUTPUT = "crisis"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class CrisisGuard(GraphComponent):
    """Overrides the intent with `crisis` on a rule match or a likely classifier crisis."""

    @classmethod
    def required_components(cls) -> List[type]:
        return [Tokenizer]

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[Text]:
        return code_fingerprint()

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "crisis_intent": "crisis",
            # The crisis classifier's probability at which the message counts as a crisis.
            "classifier_threshold": 0.6,
            # Below that but at least this, the answer carries the crisis resources (a check-in).
            "check_in_threshold": 0.3,
            # inverse regularisation strength of the crisis classifier's logistic regression
            "C": 50.0,
            "max_iter": 2000,
            "tol": 1e-4,
        }

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        classifier: Optional[CrisisClassifier] = None,
    ) -> None:
        self._config = config
        self._intent = config["crisis_intent"]
        self._threshold = config["classifier_threshold"]
        self._check_in_threshold = config["check_in_threshold"]
        self._model_storage = model_storage
        self._resource = resource
        self._classifier = classifier

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CrisisGuard:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Fits the crisis classifier: the crisis examples against every other example."""
        examples = [
            example
            for example in training_data.intent_examples
            if example.get(INTENT) and example.get(TEXT)
        ]
        is_crisis = [example.get(INTENT) == self._intent for example in examples]
        if not any(is_crisis) or all(is_crisis):
            logger.warning("No %s examples to contrast: only the rules find crises.", self._intent)
            return self._resource
        self._classifier = CrisisClassifier.fit(
            examples,
            is_crisis,
            C=self._config["C"],
            max_iter=self._config["max_iter"],
            tol=self._config["tol"],
        )
        with self._model_storage.write_to(self._resource) as model_dir:
            self._classifier.save(model_dir)
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> CrisisGuard:
        try:
            with model_storage.read_from(resource) as model_dir:
                return cls(config, model_storage, resource, CrisisClassifier.load(model_dir))
        except (ValueError, FileNotFoundError, KeyError):
            logger.warning(
                "%s has no trained crisis classifier: only the rules find crises.", cls.__name__
            )
            return cls(config, model_storage, resource)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            rules = rule_categories(message)
            contexts = rule_contexts(message)
            probability = self._classifier_probability(message)
            classifier_says_crisis = probability >= self._threshold and not contexts
            # When in doubt, the resources are shown: the answer stays, the resources join it.
            check_in = (
                not rules
                and not classifier_says_crisis
                and not contexts
                and probability >= self._check_in_threshold
            )
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
                    "check_in": check_in,
                },
                add_to_output=True,
            )
        return messages

    def _classifier_probability(self, message: Message) -> float:
        text = (message.get(TEXT) or "").strip()
        if self._classifier is None or not text or _PAYLOAD.match(text):
            return 0.0
        return self._classifier.probability(message)


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
