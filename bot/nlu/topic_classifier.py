"""One linear model that classifies the intent and, for retrieval intents, the topic.

Rasa's usual split (an intent classifier for `faq`, then a `ResponseSelector` for `faq/<topic>`)
decides "is this about the article?" before it looks at which topic. Here every label competes in
one model, so "should I stop my zoloft" is weighed against `faq/ssri_blunting` and
`personal_advice` at the same time. The component writes the same `intent`, `intent_ranking` and
`response_selector` output as Rasa's own components, so rules, `ActionRetrieveResponse`,
`FallbackClassifier` and `rasa test` work unchanged. It trains in about a second and runs in well
under a millisecond, with no TensorFlow. Two retrieval intents share the model: `faq/<topic>`, the
article's answers, and `clinic/<topic>`, the clinic's intake topics (bot/clinic_answers.py), so
"is ketamine safe" and "what does a session cost here" are told apart by the same weights.

It counts its own features: word 1-2-grams and `char_wb` 2-5-grams of the tokens' lemmas, exactly
what two of Rasa's `CountVectorsFeaturizer`s (word 1-2, char_wb 2-5) give as sentence features.
Rasa's featurizer also builds a per-token matrix for every message and response, which this model
never reads; that cost most of the training time and a share of every message's.
"""

from __future__ import annotations

import json
import logging
import zlib
from typing import Any, Dict, List, Optional, Text, Tuple

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_PROPERTY_NAME,
    RESPONSE_SELECTOR_RANKING_KEY,
    RESPONSE_SELECTOR_RESPONSES_KEY,
    RESPONSE_SELECTOR_RETRIEVAL_INTENTS,
    RESPONSE_SELECTOR_UTTER_ACTION_KEY,
    TOKENS_NAMES,
)
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.constants import UTTER_PREFIX
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_RANKING_KEY,
    INTENT_RESPONSE_KEY,
    PREDICTED_CONFIDENCE_KEY,
    RESPONSE_IDENTIFIER_DELIMITER,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.preprocessing import normalize

from bot.nlu.features import code_fingerprint, fit_logistic_regression, lemma_text
from bot.nlu.questions import question_span
from bot.nlu.sentence_encoder import DIMENSION
from bot.nlu.sentence_features import ORIGIN, QUESTION_ORIGIN, sentence_embedding
from bot.nlu.verdict import NEAREST_TOPIC
from bot.payload import payload_topic
from bot.rasa_internals import ignore_retrieval_warnings

logger = logging.getLogger(__name__)

RETRIEVAL_SEPARATOR = RESPONSE_IDENTIFIER_DELIMITER
MODEL_FILE = "topic_classifier.npz"
RESPONSES_FILE = "responses.json"

# Rasa's recipe validator only recognises its own ResponseSelector class as a consumer of
# retrieval responses; this component consumes them, so that one warning is wrong here.
# Buttons send `/faq/<topic>`; Rasa's regex handler warns because `faq/<topic>` is not a domain
# intent, then passes the text on unchanged, and this component resolves it exactly.
ignore_retrieval_warnings()


# Set on a message answered by its closing question alone (see `_question_ranking`).
QUESTION_FOCUS = "question_focus"
NOT_COVERED = "not_covered"
FIRST_PERSON = frozenset({"i", "me", "my", "myself", "mine", "im", "i'm", "ive", "i've", "id"})


def _words(message: Message) -> set:
    """The lower-cased lemmas of the message's alphabetic tokens."""
    tokens = message.get(TOKENS_NAMES[TEXT]) or []
    return {token.lemma.lower() for token in tokens if token.text.isalpha()}


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class IntentTopicClassifier(GraphComponent, IntentClassifier):
    """Predicts intents and FAQ topics jointly with a multinomial logistic regression."""

    @classmethod
    def required_components(cls) -> List[type]:
        return [Tokenizer]

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[Text]:
        return code_fingerprint()

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # inverse regularisation strength of the logistic regression
            "C": 50.0,
            "max_iter": 2000,
            "tol": 1e-4,
            # n-gram ranges of the word and character (within word boundaries) counts
            "word_ngrams": [1, 2],
            "char_ngrams": [2, 5],
            # the retrieval intents whose sub-labels are answered by `utter_<intent>/<topic>`:
            # first the article's, then the clinic's intake topics
            "retrieval_intents": ["faq", "clinic"],
            "ranking_length": 10,
            # A story's closing question alone, at least this sure of an article topic, is
            # what the message is answered with (see `_question_ranking`).
            "question_threshold": 0.6,
            # How much the sentence vector (all-MiniLM-L6-v2) counts beside the n-grams (0: not
            # read); people ask the article's questions in words no example used.
            "meaning_weight": 1.0,
            # "Not covered" below this, and an article topic at least the next: the topic's
            # answer, marked as the nearest the article comes (see `_nearest_answer`).
            "nearest_below": 0.6,
            "nearest_topic_at_least": 0.25,
        }

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        labels: Optional[List[Text]] = None,
        weights: Optional[np.ndarray] = None,
        bias: Optional[np.ndarray] = None,
        responses: Optional[Dict[Text, List[Dict[Text, Any]]]] = None,
        vocabulary: Optional[set] = None,
        vectorizers: Optional[List[CountVectorizer]] = None,
        meaning_weights: Optional[np.ndarray] = None,
    ) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._labels = labels or []
        self._weights = weights
        self._weights_by_ngram: Optional[np.ndarray] = None
        self._bias = bias
        self._responses = responses or {}
        self._vocabulary = vocabulary or set()
        self._vectorizers = vectorizers or []
        self._meaning_weight = float(config.get("meaning_weight") or 0.0)
        # (dimension x labels): the sentence vector's share of each label's score.
        self._meaning_weights = meaning_weights

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> IntentTopicClassifier:
        return cls(config, model_storage, resource)

    # --- training -------------------------------------------------------------------------------

    def train(self, training_data: TrainingData) -> Resource:
        """Fits the model on every labelled example; the label is the full retrieval name."""
        examples = [
            example
            for example in training_data.intent_examples
            if example.get(INTENT) and example.get(TEXT)
        ]
        if not examples:
            logger.debug("No intent examples: %s stays untrained.", type(self).__name__)
            return self._resource
        labels = [self._full_label(example) for example in examples]
        texts = [lemma_text(example) for example in examples]
        self._vectorizers = [
            CountVectorizer(
                analyzer="word",
                token_pattern=r"(?u)\b\w+\b",
                ngram_range=tuple(self._config["word_ngrams"]),
            ).fit(texts),
            CountVectorizer(analyzer="char_wb", ngram_range=tuple(self._config["char_ngrams"])).fit(
                texts
            ),
        ]
        meanings = [self._meaning(example) for example in examples]
        classes, weights, bias = fit_logistic_regression(
            self._features(texts, meanings),
            labels,
            C=self._config["C"],
            max_iter=self._config["max_iter"],
            tol=self._config["tol"],
            class_weight="balanced",
        )
        self._labels = [str(label) for label in classes]
        ngrams = sum(len(v.vocabulary_) for v in self._vectorizers)
        self._weights = weights[:, :ngrams].astype(np.float32)
        self._meaning_weights = np.ascontiguousarray(weights[:, ngrams:].T.astype(np.float32))
        self._weights_by_ngram = None
        self._bias = bias.astype(np.float32)
        self._responses = dict(training_data.responses)
        self._vocabulary = {word for example in examples for word in _words(example)}
        self.persist()
        return self._resource

    @staticmethod
    def _full_label(example: Message) -> Text:
        return str(example.get(INTENT_RESPONSE_KEY) or example.get(INTENT))

    def _features(
        self, texts: List[Text], meanings: List[Optional[np.ndarray]]
    ) -> scipy.sparse.csr_matrix:
        counts = scipy.sparse.hstack([v.transform(texts) for v in self._vectorizers])
        # Length-normalised rows keep a long personal story from drowning out its question.
        ngrams = normalize(counts.tocsr())
        if not self._meaning_weight:
            return ngrams
        dense = np.stack(
            [m if m is not None else np.zeros(DIMENSION, dtype=np.float32) for m in meanings]
        )
        return normalize(
            scipy.sparse.hstack([ngrams, scipy.sparse.csr_matrix(dense * self._meaning_weight)])
        ).tocsr()

    def _meaning(self, message: Message, origin: Text = ORIGIN) -> Optional[np.ndarray]:
        return sentence_embedding(message, origin) if self._meaning_weight else None

    # --- inference ------------------------------------------------------------------------------

    def process(self, messages: List[Message]) -> List[Message]:
        """Sets `intent`, `intent_ranking` and, for FAQ topics, `response_selector`."""
        for message in messages:
            ranking = self._rank(message)
            question = self._question_ranking(message, ranking)
            if question:
                ranking = question
                # Read by the personal-message router: the story is context, the question
                # is what to answer.
                message.set(QUESTION_FOCUS, True)
            nearest = self._nearest_answer(ranking)
            if nearest:
                ranking = nearest
                # Read by the response generator: the answer says first that the article does
                # not answer exactly this.
                message.set(NEAREST_TOPIC, True, add_to_output=True)
            if ranking:
                self._set_prediction(message, ranking)
        return messages

    def _nearest_answer(
        self, ranking: List[Tuple[Text, float]]
    ) -> Optional[List[Tuple[Text, float]]]:
        """The ranking with the nearest article topic first, when the best guess is "the
        article doesn't cover it" but not surely, and a topic is close: "how common is
        depression in teenagers" is better answered by what the article says about depression,
        with a line on what it leaves out, than by "not covered" alone."""
        if not ranking or ranking[0][0] != NOT_COVERED:
            return None
        if ranking[0][1] >= self._config["nearest_below"]:
            return None
        # The article's topics only: a clinic's intake topic is never "the nearest it comes".
        retrieval = self._retrieval_intents[0] + RETRIEVAL_SEPARATOR
        topic = next((entry for entry in ranking if entry[0].startswith(retrieval)), None)
        if topic is None or topic[1] < self._config["nearest_topic_at_least"]:
            return None
        return [topic, *(entry for entry in ranking if entry != topic)]

    def _question_ranking(
        self, message: Message, ranking: List[Tuple[Text, float]]
    ) -> Optional[List[Tuple[Text, float]]]:
        """The ranking of the message's question alone, when that is what should be answered.

        Real posts tell a story before the point ("my brother has been on fluoxetine for six
        weeks... why do antidepressants take so long?"). Weighed whole, the story makes such a
        message look personal; the question, asked about the world rather than the writer, is
        one the article answers. Used only when the question alone is clearly an article topic
        and speaks of no "I"; when the whole message already names that topic, its ranking
        stays and the message is still marked as answering its question."""
        threshold = self._config["question_threshold"]
        retrieval = tuple(intent + RETRIEVAL_SEPARATOR for intent in self._retrieval_intents)
        if not ranking:
            return None
        span = question_span(message.get(TEXT) or "")
        if span is None:
            return None
        start, end = span
        tokens = [
            token.text.lower()
            for token in message.get(TOKENS_NAMES[TEXT]) or []
            if token.start >= start and token.end <= end
        ]
        if not tokens or FIRST_PERSON.intersection(tokens):
            return None
        question = self._rank_text(
            lemma_text(message, start=start, end=end),
            message,
            self._meaning(message, QUESTION_ORIGIN),
        )
        if question and question[0][0].startswith(retrieval) and question[0][1] >= threshold:
            # The whole message already names this topic: keep its confidence.
            return ranking if ranking[0][0] == question[0][0] else question
        return None

    @property
    def _retrieval_intents(self) -> Tuple[Text, ...]:
        return tuple(self._config["retrieval_intents"])

    def _rank(self, message: Message) -> List[Tuple[Text, float]]:
        for retrieval_intent in self._retrieval_intents:
            topic = payload_topic(message.get(TEXT), retrieval_intent)
            if topic:
                label = f"{retrieval_intent}{RETRIEVAL_SEPARATOR}{topic}"
                if label in self._labels:
                    return [(label, 1.0)]
        return self._rank_text(lemma_text(message), message, self._meaning(message))

    def _rank_text(
        self, text: Text, message: Message, meaning: Optional[np.ndarray]
    ) -> List[Tuple[Text, float]]:
        if self._weights is None or self._bias is None or not self._vectorizers or not text:
            return []
        counts = scipy.sparse.hstack([v.transform([text]) for v in self._vectorizers]).tocsr()
        features = normalize(counts).astype(np.float32)
        scores = np.asarray(features @ self._ngram_weights()).ravel()
        if meaning is not None and self._meaning_weights is not None:
            # The same score as the joint row normalised whole: the n-grams' unit vector and
            # the sentence vector (unit length) times its weight.
            scores = scores + self._meaning_weight * (meaning @ self._meaning_weights)
            scores = scores / np.sqrt(1.0 + self._meaning_weight**2 * float(meaning @ meaning))
        scores = scores + self._bias
        probabilities = np.exp(scores - scores.max())
        probabilities /= probabilities.sum()
        if self._vocabulary and not _words(message) & self._vocabulary:
            # Not one word the assistant was taught: whatever the scores say, it is a guess.
            probabilities *= 0.0
        order = np.argsort(-probabilities)
        return [(self._labels[i], float(probabilities[i])) for i in order]

    def _ngram_weights(self) -> np.ndarray:
        """The weights as contiguous (n-grams x labels) rows, made once: a message's few n-grams
        then pick their rows, where `features @ weights.T` copied the whole matrix every time."""
        if self._weights_by_ngram is None:
            assert self._weights is not None
            self._weights_by_ngram = np.ascontiguousarray(self._weights.T)
        return self._weights_by_ngram

    def _set_prediction(self, message: Message, ranking: List[Tuple[Text, float]]) -> None:
        top_label, top_confidence = ranking[0]
        base_intent = top_label.split(RETRIEVAL_SEPARATOR)[0]
        length = self._config["ranking_length"]
        message.set(INTENT, {"name": base_intent, "confidence": top_confidence}, add_to_output=True)
        message.set(
            INTENT_RANKING_KEY,
            [{"name": label, "confidence": conf} for label, conf in ranking[:length]],
            add_to_output=True,
        )
        retrieval_intent = base_intent
        topics = [
            (label, conf)
            for label, conf in ranking
            if label.startswith(retrieval_intent + RETRIEVAL_SEPARATOR)
        ]
        if base_intent not in self._retrieval_intents or not topics:
            return
        utter_action = f"{UTTER_PREFIX}{top_label}"
        selector = message.get(RESPONSE_SELECTOR_PROPERTY_NAME, {})
        selector[RESPONSE_SELECTOR_RETRIEVAL_INTENTS] = [retrieval_intent]
        selector[retrieval_intent] = {
            RESPONSE_SELECTOR_PREDICTION_KEY: {
                RESPONSE_SELECTOR_RESPONSES_KEY: self._responses.get(utter_action, []),
                PREDICTED_CONFIDENCE_KEY: top_confidence,
                INTENT_RESPONSE_KEY: top_label,
                RESPONSE_SELECTOR_UTTER_ACTION_KEY: utter_action,
            },
            RESPONSE_SELECTOR_RANKING_KEY: [
                {
                    "id": zlib.crc32(label.encode()),
                    PREDICTED_CONFIDENCE_KEY: conf,
                    INTENT_RESPONSE_KEY: label,
                }
                for label, conf in topics[:length]
            ],
        }
        message.set(RESPONSE_SELECTOR_PROPERTY_NAME, selector, add_to_output=True)

    # --- persistence ----------------------------------------------------------------------------

    def persist(self) -> None:
        if self._weights is None or self._bias is None:
            return
        with self._model_storage.write_to(self._resource) as model_dir:
            np.savez_compressed(
                model_dir / MODEL_FILE,
                labels=np.array(self._labels),
                vocabulary=np.array(sorted(self._vocabulary)),
                weights=self._weights,
                bias=self._bias,
                meaning_weights=(
                    self._meaning_weights
                    if self._meaning_weights is not None
                    else np.zeros((0, len(self._labels)), dtype=np.float32)
                ),
                **{
                    f"ngrams_{i}": np.array(v.get_feature_names_out(), dtype=str)
                    for i, v in enumerate(self._vectorizers)
                },
            )
            (model_dir / RESPONSES_FILE).write_text(json.dumps(self._responses), encoding="utf-8")

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> IntentTopicClassifier:
        try:
            with model_storage.read_from(resource) as model_dir:
                stored = np.load(model_dir / MODEL_FILE, allow_pickle=False)
                vectorizers = [
                    CountVectorizer(
                        analyzer="word",
                        token_pattern=r"(?u)\b\w+\b",
                        ngram_range=tuple(config["word_ngrams"]),
                        vocabulary=[str(n) for n in stored["ngrams_0"]],
                    ),
                    CountVectorizer(
                        analyzer="char_wb",
                        ngram_range=tuple(config["char_ngrams"]),
                        vocabulary=[str(n) for n in stored["ngrams_1"]],
                    ),
                ]
                responses = json.loads((model_dir / RESPONSES_FILE).read_text("utf-8"))
                return cls(
                    config,
                    model_storage,
                    resource,
                    labels=[str(label) for label in stored["labels"]],
                    weights=stored["weights"],
                    bias=stored["bias"],
                    responses=responses,
                    vocabulary={str(word) for word in stored["vocabulary"]},
                    vectorizers=vectorizers,
                    meaning_weights=(
                        stored["meaning_weights"]
                        if "meaning_weights" in stored and stored["meaning_weights"].size
                        else None
                    ),
                )
        except (ValueError, FileNotFoundError, KeyError):
            logger.warning("%s has no trained model; it predicts nothing.", cls.__name__)
            return cls(config, model_storage, resource)
