"""A binary crisis model beside the topic classifier: how likely a message is a crisis.

The topic classifier's crisis probability competes with 30-odd other labels and was trained to
tell topics apart, so a sad message that matches no topic well drifts towards crisis. This model
answers one question, crisis or not, against every other training example, and reads what the
topic model does not:
- the words under a negation ("i do not want to die" is not "i want to die");
- the last sentence on its own, because long posts often tell a sad story and say the danger
  only at the end, where whole-message counts dilute it;
- the whole message's word 1-2-grams and char_wb 2-5-grams, as the topic model does;
- the message's meaning: all-MiniLM-L6-v2's sentence vector (`bot.nlu.sentence_features`), which
  knows "i bought a rope" is close to "i have the means" without a shared word. On the project's
  data against real posts it lifts ROC AUC from about 0.81 (n-grams) to 0.87 (both).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Text

import numpy as np
import scipy.sparse
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.preprocessing import normalize

from bot.nlu.features import fit_logistic_regression, lemma_text
from bot.nlu.sentence_encoder import DIMENSION
from bot.nlu.sentence_features import sentence_embedding

MODEL_FILE = "crisis_classifier.npz"
# Sentence ends in the raw text (the tokens have lost the line breaks).
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\n+")
# spaCy's lemmas turn n't, nt and "not" alike into "not".
_NEGATIONS = frozenset({"not", "no", "never", "nothing", "nobody"})
_NEGATION_SCOPE_ENDS = frozenset({".", "!", "?", ",", ";", "but"})
_WORDS = r"(?u)\b\w+\b"


def negation_marked(lemmas: Text) -> Text:
    """The lemmas with each word after a negation, up to the end of its clause, as `neg_<word>`."""
    marked = []
    negated = False
    for word in lemmas.split():
        if word in _NEGATION_SCOPE_ENDS:
            negated = False
            marked.append(word)
            continue
        marked.append(f"neg_{word}" if negated else word)
        negated = negated or word in _NEGATIONS
    return " ".join(marked)


def last_sentence(message: Message) -> Text:
    """The lemmas of the message's last sentence (the whole message when it has only one).

    A one-sentence message is its own last sentence: were the view empty there, merely having
    several sentences would read as crisis, because most long training examples are crisis
    stories."""
    text = message.get(TEXT) or ""
    breaks = [match.end() for match in _SENTENCE_BREAK.finditer(text.rstrip())]
    return lemma_text(message, start=breaks[-1] if breaks else 0)


# The views of a message, each with the n-grams counted on it. Every view is length-normalised
# on its own, so one long view cannot drown the others.
_VIEWS = ("words", "chars", "negated", "last_sentence")


def _read_views(message: Message) -> Dict[Text, Text]:
    """Each view's text, the message's lemmas read once."""
    lemmas = lemma_text(message)
    return {
        "words": lemmas,
        "chars": lemmas,
        "negated": negation_marked(lemmas),
        "last_sentence": last_sentence(message),
    }


def _vectorizer(view: Text, vocabulary: Optional[Sequence[Text]] = None) -> CountVectorizer:
    if view == "chars":
        return CountVectorizer(analyzer="char_wb", ngram_range=(2, 5), vocabulary=vocabulary)
    ngrams = (1, 1) if view == "negated" else (1, 2)
    return CountVectorizer(
        analyzer="word", token_pattern=_WORDS, ngram_range=ngrams, vocabulary=vocabulary
    )


def _meaning(message: Message) -> np.ndarray:
    """The sentence vector, or zeros for a message the embedder did not see."""
    vector = sentence_embedding(message)
    return vector if vector is not None else np.zeros(DIMENSION, dtype=np.float32)


class CrisisClassifier:
    """A logistic regression over the views above: crisis or not."""

    def __init__(
        self,
        vectorizers: Dict[Text, CountVectorizer],
        weights: np.ndarray,
        bias: float,
        meaning_weight: float = 0.0,
    ) -> None:
        self._vectorizers = vectorizers
        self._weights = np.asarray(weights, dtype=np.float64).ravel()
        self._bias = float(bias)
        # How much the sentence vector counts beside one n-gram view (0: not read at all).
        self._meaning_weight = float(meaning_weight)
        # For one message at a time: each view's analyzer and its n-grams' weights, so scoring
        # is a few dictionary lookups instead of building four sparse matrices (~4x faster).
        self._analyzers = {
            view: vectorizer.build_analyzer() for view, vectorizer in vectorizers.items()
        }
        self._view_weights: Dict[Text, Dict[Text, float]] = {}
        offset = 0
        for view, vectorizer in vectorizers.items():
            ngrams = list(vectorizer.get_feature_names_out()) if self._weights.size else []
            self._view_weights[view] = {
                ngram: float(self._weights[offset + i]) for i, ngram in enumerate(ngrams)
            }
            offset += len(ngrams)
        # The weights after the n-grams' are the sentence vector's (none in an older model).
        meaning = np.asarray(self._weights[offset : offset + DIMENSION], dtype=np.float32)
        self._meaning_weights = (
            meaning if meaning.size == DIMENSION else np.zeros(DIMENSION, dtype=np.float32)
        )

    @classmethod
    def fit(
        cls,
        messages: List[Message],
        is_crisis: List[bool],
        C: float,
        max_iter: int,
        tol: float,
        meaning_weight: float = 1.0,
    ) -> CrisisClassifier:
        read = [_read_views(message) for message in messages]
        vectorizers = {view: _vectorizer(view).fit([r[view] for r in read]) for view in _VIEWS}
        untrained = cls(vectorizers, np.zeros(0), 0.0, meaning_weight)
        _, weights, bias = fit_logistic_regression(
            untrained._features(messages),
            list(is_crisis),
            C=C,
            max_iter=max_iter,
            tol=tol,
            class_weight=None,
        )
        return cls(vectorizers, weights, float(bias[0]), meaning_weight)

    def _features(self, messages: List[Message]) -> scipy.sparse.csr_matrix:
        read = [_read_views(message) for message in messages]
        views = [
            normalize(self._vectorizers[view].transform([r[view] for r in read])) for view in _VIEWS
        ]
        meaning = np.stack([_meaning(message) for message in messages]) * self._meaning_weight
        views.append(scipy.sparse.csr_matrix(meaning))
        return normalize(scipy.sparse.hstack(views).tocsr())

    def probability(self, message: Message) -> float:
        """How likely the message is a crisis, 0 to 1.

        The same score as `_features([message]) @ weights`: each view's counts are divided by
        their own length, and the joined vector by its length, the square root of the number
        of views with any n-gram the model knows, plus the sentence vector's weight squared."""
        score = 0.0
        length = 0.0
        if self._meaning_weight:
            vector = sentence_embedding(message)
            if vector is not None:
                score += self._meaning_weight * float(vector @ self._meaning_weights)
                length += self._meaning_weight**2 * float(vector @ vector)
        views_seen = 0
        for view, text in _read_views(message).items():
            weights = self._view_weights[view]
            counts = Counter(ngram for ngram in self._analyzers[view](text) if ngram in weights)
            if not counts:
                continue
            views_seen += 1
            norm = math.sqrt(sum(count * count for count in counts.values()))
            score += sum(weights[ngram] * count for ngram, count in counts.items()) / norm
        length += views_seen
        if length:
            score /= math.sqrt(length)
        return float(1.0 / (1.0 + math.exp(-(score + self._bias))))

    def save(self, directory: Path) -> None:
        np.savez_compressed(
            directory / MODEL_FILE,
            weights=self._weights.astype(np.float32),
            bias=np.array([self._bias]),
            meaning_weight=np.array([self._meaning_weight]),
            **{
                f"ngrams_{view}": np.array(vectorizer.get_feature_names_out(), dtype=str)
                for view, vectorizer in self._vectorizers.items()
            },
        )

    @classmethod
    def load(cls, directory: Path) -> CrisisClassifier:
        stored = np.load(directory / MODEL_FILE, allow_pickle=False)
        vectorizers = {
            view: _vectorizer(view, vocabulary=[str(n) for n in stored[f"ngrams_{view}"]])
            for view in _VIEWS
        }
        meaning_weight = float(stored["meaning_weight"][0]) if "meaning_weight" in stored else 0.0
        return cls(vectorizers, stored["weights"], float(stored["bias"][0]), meaning_weight)
