"""The crisis guard's own binary classifier: what it reads of a message, and that it learns."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, List

import pytest
import spacy
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.crisis_classifier import CrisisClassifier, last_sentence, negation_marked
from bot.nlu.crisis_guard import CrisisGuard
from bot.nlu.features import code_fingerprint
from bot.nlu.spacy_pipeline import build_pipeline
from bot.nlu.topic_classifier import IntentTopicClassifier

CRISIS = [
    "i want to die",
    "i really want to kill myself",
    "i have the pills ready for tonight",
    "work was awful and my sister stopped calling. i am going to end it tonight",
    "nobody would miss me if i was gone",
]
NOT_CRISIS = [
    "i do not want to die, i just want to sleep better",
    "what is bdnf",
    "work was awful and my sister stopped calling. can i book a consult",
    "how does ketamine work",
    "i am not going to hurt myself, i am just tired",
    "does an ssri help with anxiety",
]


@pytest.fixture(scope="module")
def nlp() -> spacy.language.Language:
    return build_pipeline()


def tokenized(nlp: Any, text: str) -> Message:
    """A message with tokens and lemmas as Rasa's SpacyTokenizer sets them."""
    message = Message(data={"text": text})
    doc = nlp(text.lower())
    tokens = [Token(t.text, t.idx, lemma=t.lemma_) for t in doc if not t.is_space]
    message.set(TOKENS_NAMES["text"], tokens)
    return message


@pytest.fixture(scope="module")
def trained(nlp: Any) -> CrisisClassifier:
    messages = [tokenized(nlp, text) for text in CRISIS + NOT_CRISIS]
    labels = [True] * len(CRISIS) + [False] * len(NOT_CRISIS)
    return CrisisClassifier.fit(messages, labels, C=50.0, max_iter=2000, tol=1e-4)


def test_words_after_a_negation_are_marked_to_the_end_of_the_clause() -> None:
    assert (
        negation_marked("i do not want to die , but i will")
        == "i do not neg_want neg_to neg_die , but i will"
    )
    assert negation_marked("nothing help . i try") == "nothing neg_help . i try"


def test_the_last_sentence_is_read_on_its_own(nlp: Any) -> None:
    story = tokenized(nlp, "Work was awful.\nMy sister stopped calling! I am going to end it")
    assert last_sentence(story) == "i be go to end it"
    assert last_sentence(tokenized(nlp, "i want to end it.")) == "i want to end it ."


def test_it_learns_crisis_from_not_crisis(nlp: Any, trained: CrisisClassifier) -> None:
    def p(text: str) -> float:
        return trained.probability(tokenized(nlp, text))

    assert p("i want to die tonight") > 0.5 > p("how does bdnf work")
    assert p("i really want to die") > p("i really do not want to die")
    # The same sad preamble, told to the end: the last sentence decides.
    preamble = "my job is awful and my sister stopped calling. "
    assert p(preamble + "i am going to end it tonight") > p(preamble + "can i book a consult")


def test_one_message_scores_as_the_training_features_do(
    nlp: Any, trained: CrisisClassifier
) -> None:
    """The one-message path (dictionary lookups) and the matrix path give the same score."""
    for text in [*CRISIS, *NOT_CRISIS, "words it never saw", "", "i do not want to die. honestly"]:
        message = tokenized(nlp, text)
        features = trained._features([message])
        expected = 1.0 / (1.0 + math.exp(-(features.dot(trained._weights)[0] + trained._bias)))
        assert trained.probability(message) == pytest.approx(expected, abs=1e-9)


def test_it_gives_the_same_probabilities_after_saving_and_loading(
    nlp: Any, trained: CrisisClassifier, tmp_path: Path
) -> None:
    texts: List[str] = ["i want to die", "what is ketamine", "i do not want to die. just tired"]
    trained.save(tmp_path)
    loaded = CrisisClassifier.load(tmp_path)
    for text in texts:
        message = tokenized(nlp, text)
        assert loaded.probability(message) == pytest.approx(trained.probability(message), abs=1e-5)


def test_a_change_to_the_nlu_code_changes_the_components_training_fingerprint(
    tmp_path: Path,
) -> None:
    """Rasa's training cache would otherwise restore a model trained by the old code."""
    (tmp_path / "model.py").write_text("WEIGHT = 1\n")
    before = code_fingerprint.__wrapped__(tmp_path)
    (tmp_path / "model.py").write_text("WEIGHT = 2\n")
    changed = code_fingerprint.__wrapped__(tmp_path)
    (tmp_path / "view.py").write_text("")
    added = code_fingerprint.__wrapped__(tmp_path)
    assert len({before, changed, added}) == 3
    assert (
        CrisisGuard.fingerprint_addon({})
        == code_fingerprint()
        == (IntentTopicClassifier.fingerprint_addon({}))
    )
