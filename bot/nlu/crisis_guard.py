"""Decides whether a message is a crisis turn, a check-in, or shows no sign of danger.

Recall comes first: every sign of danger shows the crisis lines. The evidence is the spaCy crisis
matcher's spans (firm first-person patterns, other crisis patterns, contexts that explain danger
words away, ambiguous phrasings) and the guard's own binary crisis classifier
(`bot.nlu.crisis_classifier`), trained on the `crisis` examples against every other example.
`decide` weighs them: a firm rule is a crisis turn; a rule the classifier confirms, or a likely
classifier crisis with no context, is a crisis turn; anything in between is a check-in (the
intent `check_in`: the turn answers what it can, shows the lines and asks plainly). A crisis or a
check-in gets full confidence so no fallback threshold can hide it. The verdict
(`bot.nlu.verdict.CrisisVerdict`) goes into the parse data, by label and score only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Text, Tuple

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import SPACY_DOCS, TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.crisis_classifier import CrisisClassifier
from bot.nlu.features import code_fingerprint
from bot.nlu.spacy_pipeline import (
    CHECK_IN_SPANS,
    CONTEXT_SPANS,
    CRISIS_SPANS,
    DANGER_SPANS,
    EXPLAINED_SPANS,
    FIRM_SPANS,
    PERSONAL_SPANS,
    RULE_ONLY_CONTEXTS,
    SERIOUS,
)
from bot.nlu.verdict import CHECK_IN, CRISIS, NO_SIGN, CrisisVerdict
from bot.payload import is_payload

logger = logging.getLogger(__name__)

# A medication or treatment question: it keeps the classifier alone from a crisis turn, but a
# sure classifier still asks (see `decide`).
QUESTION_CONTEXT = "question"
IDIOM_CONTEXT = "idiom"
# Game and sports talk, songs, dying alone, forum goodbyes (crisis.yml `play`).
PLAY_CONTEXT = "play"
# A goodbye to a forum or an app (crisis.yml `forum`).
FORUM_CONTEXT = "forum"
# A laugh or "jk" (crisis.yml `joking`): in a short message, what it says is play.
JOKING_CONTEXT = "joking"
# Contexts that may be what a whole story is about (not only the words they cover).
STORY_CONTEXTS = frozenset({"safety", "past", "research"})
# Danger-word kinds that speak of means, acts or endings rather than of death in general.
ACTS_AND_MEANS = frozenset({"means", "goodbye", "settling_affairs", "body"})
# Tokens beyond which a message is a story rather than one statement.
LONG_MESSAGE_TOKENS = 40
# The intent of a check-in turn: set only by this guard, never trained.
CHECK_IN_INTENT = CHECK_IN


def contrasted_examples(examples: List[Message], left_out: Sequence[Text]) -> List[Message]:
    """The examples the crisis classifier learns from: every labelled one, except those of the
    intents, or retrieval topics (`clinic/contact`), in `left_out`."""
    leave_out = set(left_out)
    return [
        example
        for example in examples
        if example.get(INTENT)
        and example.get(TEXT)
        and not {example.get(INTENT), example.get(INTENT_RESPONSE_KEY)} & leave_out
    ]


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
            # Below that but at least this: a check-in (answer, lines, and the question).
            "check_in_threshold": 0.3,
            # A rule match (not a firm one) with less than this is a check-in, not a crisis turn.
            "rule_confirm_threshold": 0.0,
            # A long message's crisis turn from the classifier alone needs this and danger words.
            "long_message_threshold": 0.8,
            # In a medication question, the classifier alone needs this for a crisis turn.
            "question_threshold": 0.99,
            # A danger phrasing that a context explained asks from this much on.
            "explained_threshold": 0.5,
            # Words about the means, a goodbye or affairs in order ask from this much on.
            "acts_or_means_threshold": 0.3,
            # inverse regularisation strength of the crisis classifier's logistic regression
            "C": 50.0,
            # How much the sentence vector counts beside one n-gram view (0 leaves it out).
            "meaning_weight": 1.0,
            "max_iter": 2000,
            "tol": 1e-4,
            # Intents whose examples the classifier does not contrast crises with (config.yml).
            "contrast_without": [],
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
        self._thresholds = Thresholds(
            crisis=config["classifier_threshold"],
            check_in=config["check_in_threshold"],
            rule_confirm=config["rule_confirm_threshold"],
            long_crisis=config["long_message_threshold"],
            question_crisis=config["question_threshold"],
            explained=config["explained_threshold"],
            acts_or_means=config["acts_or_means_threshold"],
        )
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
        examples = contrasted_examples(
            training_data.intent_examples, self._config.get("contrast_without") or ()
        )
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
            meaning_weight=self._config["meaning_weight"],
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
            verdict = self.verdict(message)
            ranking = [
                entry
                for entry in message.get(INTENT_RANKING_KEY) or []
                if entry.get("name") not in (self._intent, CHECK_IN_INTENT)
            ]
            if verdict.is_crisis or verdict.is_check_in:
                # Full confidence, so no fallback threshold can hide it. A check-in keeps the
                # ranking and the response selector: its turn answers what it can.
                name = self._intent if verdict.is_crisis else CHECK_IN_INTENT
                decided = {"name": name, "confidence": 1.0}
                message.set(INTENT, decided, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [decided, *ranking], add_to_output=True)
            elif (message.get(INTENT) or {}).get("name") == self._intent and ranking:
                # The topic classifier's top guess was crisis, but the guard found no sign of
                # danger: the next guess answers.
                message.set(INTENT, ranking[0], add_to_output=True)
            verdict.write_to(message)
        return messages

    def verdict(self, message: Message) -> CrisisVerdict:
        """What the rules and the classifier say about one message."""
        spans = crisis_spans(message)
        probability = self._classifier_probability(message)
        signals = Signals(
            firm=spans.firm,
            rules=spans.categories,
            # "Not joking" only takes a laugh's play away (the matcher does): it explains nothing.
            contexts=[c for c in spans.contexts if c not in RULE_ONLY_CONTEXTS | {SERIOUS}],
            check_in_rules=spans.check_in,
            probability=probability,
            long_message=len(message.get(TOKENS_NAMES[TEXT]) or []) > LONG_MESSAGE_TOKENS,
            danger_words=spans.danger_words,
            explained=spans.explained,
        )
        decision, reason = decide(signals, self._thresholds)
        return CrisisVerdict(
            decision=decision,
            rules=tuple(spans.categories),
            firm=spans.firm,
            contexts=tuple(spans.contexts),
            check_in_rules=tuple(spans.check_in),
            classifier=probability,
            reason=reason,
            danger_words=tuple(spans.danger_words),
            explained=tuple(spans.explained),
            long_message=signals.long_message,
        )

    def _classifier_probability(self, message: Message) -> float:
        # A button's payload (`/faq/ketamine_suicidality`) is a choice, not words to weigh; the
        # rules still read it.
        text = (message.get(TEXT) or "").strip()
        if self._classifier is None or not text or is_payload(text):
            return 0.0
        return self._classifier.probability(message)


@dataclass(frozen=True)
class RuleSpans:
    """What the spaCy crisis matcher marked in a message, by label only."""

    categories: Tuple[Text, ...] = ()
    firm: bool = False
    contexts: Tuple[Text, ...] = ()
    check_in: Tuple[Text, ...] = ()
    danger_words: Tuple[Text, ...] = ()
    explained: Tuple[Text, ...] = ()


def crisis_spans(message: Message) -> RuleSpans:
    """The crisis categories, contexts and check-in phrasings the crisis matcher found."""
    doc: Optional[Any] = message.get(SPACY_DOCS[TEXT])
    if doc is None:
        return RuleSpans()

    def labels(group: Text) -> Tuple[Text, ...]:
        if group not in doc.spans:
            return ()
        return tuple(sorted({span.label_ for span in doc.spans[group]}))

    contexts = labels(CONTEXT_SPANS)
    if "medication_practical" in labels(PERSONAL_SPANS) and QUESTION_CONTEXT not in contexts:
        # A practical question about one's own medication is a medication question.
        contexts = tuple(sorted((*contexts, QUESTION_CONTEXT)))
    return RuleSpans(
        categories=labels(CRISIS_SPANS),
        firm=bool(labels(FIRM_SPANS)),
        contexts=contexts,
        check_in=labels(CHECK_IN_SPANS),
        danger_words=labels(DANGER_SPANS),
        explained=labels(EXPLAINED_SPANS),
    )


@dataclass(frozen=True)
class Signals:
    """The evidence the guard weighs for one message."""

    firm: bool
    rules: Sequence[Text]
    contexts: Sequence[Text]
    check_in_rules: Sequence[Text]
    probability: float
    # A long message tells a story: a context found in one part of it (an idiom, a denial)
    # does not explain what another part says, and sadness all through it is not danger.
    long_message: bool = False
    # Kinds of words about death, self-harm, its means or goodbyes that no context explained.
    danger_words: Sequence[Text] = ()
    # Crisis or check-in phrasings that a context explained (the past, an idiom, a joke...).
    explained: Sequence[Text] = ()

    @property
    def play(self) -> bool:
        """A short message said laughing or "jk": the most it may get is a check-in. (Game and
        sports talk, songs, dying alone and forum goodbyes explain their own words in the
        matcher: what they cover can only ask.)"""
        return JOKING_CONTEXT in self.contexts and not self.long_message

    @property
    def acts_or_means(self) -> bool:
        """Words about the means, a goodbye, affairs put in order or a body in trouble."""
        return any(kind in ACTS_AND_MEANS for kind in self.danger_words)


@dataclass(frozen=True)
class Thresholds:
    """Where the crisis classifier's probability changes the decision."""

    # At least this on a short message with no context: a crisis turn.
    crisis: float
    # At least this (below `crisis`): a check-in.
    check_in: float
    # A non-firm rule match needs at least this much from the classifier to be a crisis turn;
    # below it the match is a check-in.
    rule_confirm: float
    # In a long message with words about death or self-harm, the classifier needs this much to
    # make a crisis turn on its own; below it, or without such words, its suspicion is a check-in.
    long_crisis: float = 0.8
    # Inside a medication question, the classifier needs this much for a crisis turn; below it
    # (and at least `crisis`) the message is a check-in.
    question_crisis: float = 0.99
    # A danger phrasing a context explained asks (a check-in) from this much on.
    explained: float = 0.0
    # Words about the means, goodbyes or affairs in order ask from this much on.
    acts_or_means: float = 0.0


def explained_away(signals: Signals, explaining: Sequence[Text]) -> bool:
    """Whether contexts of words explain everything that sounded like danger: an idiom, play,
    someone else's death or words cover every danger word and phrasing ("i'd kill someone for a
    donut"). A statement of safety, the past or research can be what a whole story is about, and
    are not taken to explain a strong classifier away."""
    return (
        not signals.danger_words
        and not signals.explained
        and not any(context in STORY_CONTEXTS for context in explaining)
    )


def decide(signals: Signals, thresholds: Thresholds) -> Tuple[Text, Text]:
    """The decision (crisis, check_in or none) and a short code saying why.

    Recall first: every sign of danger shows the crisis lines, either as a crisis turn or as a
    check-in that asks. The table, row by row (the README has it too):

    - a firm rule (first-person danger now: intent, plan, means at hand, an act just done, a
      goodbye) is a crisis turn; in a joke, a game or a song, a check-in;
    - any other danger rule is a crisis turn when the classifier confirms it, else a check-in;
      in play, a check-in;
    - the classifier alone: a crisis turn on a short message with no context, or on a long one
      with danger words; with a context that may explain it, in a medication question, or in a
      long story without danger words, a check-in;
    - a danger phrasing a context explained, an ambiguous phrasing ("i'm done."), the
      classifier's middle band, or words about the means or a goodbye: a check-in;
    - nothing of these: no sign.
    """
    probability = signals.probability
    play = signals.play
    if signals.firm:
        return (CHECK_IN, "firm_rule_in_play") if play else (CRISIS, "firm_rule")
    if signals.rules:
        if play:
            return CHECK_IN, "rule_in_play"
        if probability >= thresholds.rule_confirm:
            return CRISIS, "rule"
        return CHECK_IN, "rule_unconfirmed"
    question = QUESTION_CONTEXT in signals.contexts
    # In a long story an idiom explains only its own words ("cut ties", "killing time"); a
    # statement of safety, the past or research may be what the whole message is about.
    local = (
        (QUESTION_CONTEXT, IDIOM_CONTEXT, PLAY_CONTEXT, FORUM_CONTEXT, JOKING_CONTEXT)
        if signals.long_message
        else (QUESTION_CONTEXT,)
    )
    explaining = [context for context in signals.contexts if context not in local]
    if probability >= thresholds.crisis:
        if explaining or play or signals.explained:
            if explained_away(signals, explaining):
                return NO_SIGN, "context_explains_all"
            return CHECK_IN, "classifier_with_context"
        if question and probability < thresholds.question_crisis:
            # "can i take it with my prozac": the words of a medication question; ask.
            return CHECK_IN, "classifier_in_question"
        if not signals.long_message:
            return CRISIS, "classifier"
        if signals.danger_words and probability >= thresholds.long_crisis:
            return CRISIS, "classifier_long"
        return CHECK_IN, "classifier_long_unsure"
    if signals.explained and probability >= thresholds.explained:
        return CHECK_IN, "rule_explained"
    if signals.check_in_rules:
        return CHECK_IN, "check_in_rule"
    if probability >= thresholds.check_in and (not signals.contexts or signals.danger_words):
        return CHECK_IN, "classifier_unsure"
    if signals.acts_or_means and probability >= thresholds.acts_or_means:
        return CHECK_IN, "danger_words"
    return NO_SIGN, ""
