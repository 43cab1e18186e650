"""A message about the writer's own feelings, health, medication or treatment is never brushed off.

The topic classifier was taught one idea per message; real messages tell a story, run long and use
words it never saw, so it often finds no intent it is sure of, and a person describing a hard week
would get "could you say it another way?" or the out-of-scope menu. This component runs after the
crisis guard (a crisis stays a crisis; a check-in answers with what this decides) and before the
fallback classifier, and reads the personal-concern spans of the project's spaCy pipeline
(`bot/nlu/rules/personal.yml`) and the medications the message names:

- a practical question about one's own medication (dose, timing, interactions, stopping,
  tapering, switching) is `personal_advice`, even when an article topic scored higher: those are
  for the prescriber or pharmacist, never a topic answer; so are "is ketamine right for me",
  "do I have ADHD" and "how do I cope with ..." (unless the message closes with a question
  about the world that the article answers: the story is context, the question is the point);
- any other personal concern, a named medication, or a long first-person message, when the topic
  classifier's best guess would brush it off (out of scope, small talk, or too unsure to answer),
  is `personal_advice`.

The concerns found go into the parse data (`personal`: labels only, never words), and the advice
turn acknowledges the main one before it says what it cannot do.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Text, Tuple

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import SPACY_DOCS, TOKENS_NAMES
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.spacy_pipeline import PERSONAL_SPANS
from bot.nlu.topic_classifier import QUESTION_FOCUS
from bot.nlu.verdict import CHECK_IN, CRISIS, PersonalVerdict
from bot.payload import is_payload

ADVICE_INTENT = "personal_advice"
FAQ_INTENT = "faq"
# The clinic's intake topics (bot/clinic_answers.py): answered like an article topic.
CLINIC_INTENT = "clinic"
# The crisis guard's decisions are also the intents it sets.
CRISIS_INTENT = CRISIS
CHECK_IN_INTENT = CHECK_IN
MEDICATION_PRACTICAL = "medication_practical"
COPING = "coping"
# Concerns that make a message an advice turn even when an article topic scored higher: a
# practical question about one's own medication, whether a treatment is right for oneself, a
# diagnosis for oneself, a way through one's own situation (the topic catalogue's advice kind).
OWN_SITUATION_FIRST = (MEDICATION_PRACTICAL, "treatment_for_me", "diagnosis", COPING)
# Concerns in the order an advice turn acknowledges them: the most specific first.
CONCERNS = (
    "medication_practical",
    "treatment_for_me",
    "diagnosis",
    "coping",
    "feelings",
    "help_seeking",
)
# Intents whose turn would not take a personal message seriously.
BRUSH_OFF_INTENTS = frozenset(
    {
        "out_of_scope",
        "greet",
        "goodbye",
        "thank",
        "bot_challenge",
        "ask_capabilities",
        "acknowledge",
        "tell_me_more",
    }
)
# "yes" and "no" answer the check-in question ("no, just tired"): they stay answers when the
# classifier is sure of them; an unsure one ("i'm struggling" read as "i am") is not an answer.
ANSWER_INTENTS = frozenset({"affirm", "deny"})
SURE_ANSWER = 0.6
# Classes of medicine are how people ask the article's questions ("why don't SSRIs work?");
# a named drug is nearly always someone's own.
MEDICATION_CLASSES = frozenset(
    {
        "SSRI",
        "SNRI",
        "MAOI",
        "antidepressant",
        "tricyclic",
        "benzodiazepine",
        "opioid",
        "painkiller",
        "sleeping pill",
        "antipsychotic",
        "mood stabilizer",
        "stimulant",
    }
)
_FIRST_PERSON = frozenset({"i", "me", "my", "myself", "im", "i'm", "ive", "i've", "mine", "m"})


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class PersonalMessageRouter(GraphComponent):
    """Turns a personal message the topic classifier would brush off into `personal_advice`."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # Below this confidence the best guess is not trusted with a personal message
            # (the FallbackClassifier's threshold is lower; this one only routes to advice).
            "unsure_below": 0.35,
            # A first-person message at least this many words long is about the writer.
            "long_message_words": 25,
            # An article topic at least this sure is answered even when the message is also
            # about the writer (after an acknowledgement), unless it asks what to do about
            # one's own medication.
            "answer_confidence": 0.5,
        }

    def __init__(self, config: Dict[Text, Any]) -> None:
        self._unsure_below = float(config["unsure_below"])
        self._long_words = int(config["long_message_words"])
        self._answer_confidence = float(config["answer_confidence"])

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> PersonalMessageRouter:
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            if is_payload(message.get(TEXT)):
                continue
            concerns = personal_concerns(message)
            decided = (message.get(INTENT) or {}).get("name")
            if decided == CRISIS_INTENT:
                PersonalVerdict(concerns=concerns).write_to(message)
                continue
            ranking = message.get(INTENT_RANKING_KEY) or []
            # A check-in answers with the best guess below it.
            guess = _best_guess(ranking) if decided == CHECK_IN_INTENT else message.get(INTENT)
            answers_a_question = bool(message.get(QUESTION_FOCUS)) or asks_an_article_question(
                guess or {}, concerns, self._answer_confidence
            )
            advice = route_to_advice(
                intent=guess or {},
                concerns=concerns,
                answers_a_question=answers_a_question,
                own_medication=bool(named_medications(message)),
                first_person_words=_first_person_words(message),
                long_words=self._long_words,
                unsure_below=self._unsure_below,
            )
            if advice:
                _make_advice(message, keep_check_in=decided == CHECK_IN_INTENT)
            verdict = PersonalVerdict(
                concerns=concerns,
                # The article answers, and the writer told us about themselves: the answer
                # acknowledges them first and points to a professional for their own case.
                acknowledge=bool(concerns) and not advice and _is_topic(guess or {}),
            )
            verdict.write_to(message)
        return messages


def _is_topic(intent: Dict[Text, Any]) -> bool:
    """An article topic's or the clinic's own answer (which acknowledges the writer first)."""
    return str(intent.get("name") or "") in (FAQ_INTENT, CLINIC_INTENT)


def asks_an_article_question(
    intent: Dict[Text, Any], concerns: Sequence[Text], answer_confidence: float
) -> bool:
    """A general question the article answers, said with "I" or next to one's feelings: "how
    do i find a good ketamine doctor", "i feel so low, is depression a chemical imbalance?".
    What to do about one's own care (one's medication, whether a treatment is right for me, a
    diagnosis for me, how I cope) stays advice, however close to a topic its words are."""
    if any(concern in OWN_SITUATION_FIRST for concern in concerns) or not _is_topic(intent):
        return False
    return float(intent.get("confidence") or 0.0) >= answer_confidence


def route_to_advice(
    intent: Dict[Text, Any],
    concerns: Sequence[Text],
    answers_a_question: bool,
    own_medication: bool,
    first_person_words: Tuple[int, int],
    long_words: int,
    unsure_below: float,
) -> bool:
    """Whether a message goes to `personal_advice` whatever the topic classifier's best guess."""
    name = intent.get("name")
    if name == ADVICE_INTENT:
        return False
    if not answers_a_question and any(concern in concerns for concern in OWN_SITUATION_FIRST):
        return True
    confidence = float(intent.get("confidence") or 0.0)
    brushed_off = (
        name in BRUSH_OFF_INTENTS
        or name is None
        or confidence < unsure_below
        or (name in ANSWER_INTENTS and confidence < SURE_ANSWER)
    )
    if not brushed_off:
        return False
    first_person, words = first_person_words
    return bool(concerns) or own_medication or (first_person > 0 and words >= long_words)


def personal_concerns(message: Message) -> Tuple[Text, ...]:
    """The concerns the personal-concern matcher found, most specific first."""
    doc: Optional[Any] = message.get(SPACY_DOCS[TEXT])
    if doc is None or PERSONAL_SPANS not in doc.spans:
        return ()
    found = {span.label_ for span in doc.spans[PERSONAL_SPANS]}
    return tuple(concern for concern in CONCERNS if concern in found)


def named_medications(message: Message) -> List[Text]:
    """The specific medicines (not classes of medicine) the message names."""
    return [
        str(entity.get("value"))
        for entity in message.get(ENTITIES) or []
        if entity.get("entity") == "medication" and entity.get("value") not in MEDICATION_CLASSES
    ]


def _first_person_words(message: Message) -> Tuple[int, int]:
    tokens = message.get(TOKENS_NAMES[TEXT]) or []
    words = [token.text.lower() for token in tokens if token.text[:1].isalnum()]
    return sum(word in _FIRST_PERSON for word in words), len(words)


def _best_guess(ranking: Sequence[Dict[Text, Any]]) -> Optional[Dict[Text, Any]]:
    """The topic classifier's best guess in a ranking the crisis guard put its decision on."""
    return next(
        (entry for entry in ranking if entry.get("name") not in (CRISIS_INTENT, CHECK_IN_INTENT)),
        None,
    )


def _make_advice(message: Message, keep_check_in: bool) -> None:
    ranking = [
        entry
        for entry in message.get(INTENT_RANKING_KEY) or []
        if entry.get("name") not in (ADVICE_INTENT, CHECK_IN_INTENT)
    ]
    # Above any fallback threshold: the decision is made, not guessed.
    advice = {"name": ADVICE_INTENT, "confidence": 1.0}
    if keep_check_in:
        # The check-in stays the turn; its answer becomes the advice.
        check_in = {"name": CHECK_IN_INTENT, "confidence": 1.0}
        message.set(INTENT_RANKING_KEY, [check_in, advice, *ranking], add_to_output=True)
        return
    message.set(INTENT, advice, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [advice, *ranking], add_to_output=True)
