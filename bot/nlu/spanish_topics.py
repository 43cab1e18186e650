"""A Spanish message understood in Spanish: its topic, advice, small talk or follow-up intent.

The English classifiers never see Spanish: the team's Spanish examples live in `bot/nlu/spanish/`,
outside `data/`, so no English model trains on them and no English message is classified any
differently. This component runs after the `LanguageRouter` and acts only on a message that
router found to be Spanish and gave the language turn (`other_language`), and only when the
crisis guard found neither a crisis nor a check-in (those decisions, and the Spanish crisis
rules' crisis turns, stay as they were). It then sets the intent, the ranking and, for an
article topic, the response selector, in the shape the English `IntentTopicClassifier` writes,
so the existing rules answer with `utter_faq/<topic>`.

The model: TF-IDF of word 1-2-grams and char_wb 2-5-grams of the lower-cased text without
accents, and a multinomial logistic regression. Below `threshold` (chosen on cross-validated
predictions of the training examples, `python -m bot.nlu.spanish_topics`), the message keeps the
language turn. The team's crisis examples and the answers to the crisis question (`affirm`,
`deny`) are trained on, so that such a message is not taken for a topic, but they are never
emitted: a message whose best guess is one of them keeps the language turn, which carries the
crisis lines. Crisis decisions stay with the crisis guard and `bot/nlu/rules/crisis_es.yml`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import unicodedata
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Text, Tuple

import numpy as np
import scipy.sparse
import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_PROPERTY_NAME,
    RESPONSE_SELECTOR_RANKING_KEY,
    RESPONSE_SELECTOR_RESPONSES_KEY,
    RESPONSE_SELECTOR_RETRIEVAL_INTENTS,
    RESPONSE_SELECTOR_UTTER_ACTION_KEY,
)
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
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import normalize

from bot.nlu.features import code_fingerprint
from bot.nlu.language import LANGUAGE_KEY, OTHER_LANGUAGE_INTENT, SPANISH
from bot.nlu.verdict import NEAREST_TOPIC, CrisisVerdict

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
SPANISH_DIR = Path("bot/nlu/spanish")
HELD_OUT = Path("tests/questions_es.tsv")
MODEL_FILE = "spanish_topics.npz"
RESPONSES_FILE = "responses.json"
RETRIEVAL_INTENTS = ("faq", "clinic")
# Trained on, never emitted: crisis phrasings and the answers to the crisis question. A message
# that reads most like them keeps the language turn (with the crisis lines); the crisis guard and
# the Spanish crisis rules alone make crisis decisions.
HELD_BACK = frozenset({"crisis", "affirm", "deny", "check_in"})
# Jaccard overlap of normalised word sets at which a training example copies a held-out one.
NEAR_COPY = 0.6
_WORD = re.compile(r"[a-z0-9]+")


# --- the examples ---------------------------------------------------------------------------------


def plain(text: str) -> str:
    """Lower case, accents stripped ("Ketamína" is "ketamina"), as the model and near-copy
    checks read a message."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> Set[str]:
    """The word set of a message: lower case, no accents, no punctuation."""
    return set(_WORD.findall(plain(text)))


def jaccard(a: Set[str], b: Set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def read_examples(directory: Path) -> List[Tuple[str, str]]:
    """(label, text) for every example of the Rasa NLU YAML files in `directory`."""
    pairs: List[Tuple[str, str]] = []
    for path in sorted(directory.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu") or []:
            label = str(block.get("intent") or "")
            for line in str(block.get("examples") or "").splitlines():
                line = line.strip()
                if label and line.startswith("- ") and line[2:].strip():
                    pairs.append((label, line[2:].strip()))
    return pairs


def held_out_texts(path: Path) -> List[str]:
    """The texts of the held-out Spanish questions (topic, style, text)."""
    import csv

    with path.open(encoding="utf-8", newline="") as handle:
        return [row["text"] for row in csv.DictReader(handle, delimiter="\t") if row.get("text")]


def near_copies(
    training: Sequence[str], held_out: Sequence[str], threshold: float = NEAR_COPY
) -> List[Tuple[int, int, float]]:
    """(training index, held-out index, overlap) for every pair at `threshold` or more."""
    held = [words(text) for text in held_out]
    found = []
    for i, text in enumerate(training):
        mine = words(text)
        for j, theirs in enumerate(held):
            overlap = jaccard(mine, theirs)
            if overlap >= threshold:
                found.append((i, j, overlap))
    return found


def files_digest(directory: Path) -> str:
    """A hash of the Spanish example files: part of the component's fingerprint, so a change to
    them retrains it (Rasa's cache only sees `data/`)."""
    digest = hashlib.sha256()
    for path in sorted(directory.glob("*.yml")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


# --- the model ------------------------------------------------------------------------------------


class SpanishModel:
    """TF-IDF word and char_wb n-grams, and a multinomial logistic regression."""

    def __init__(
        self,
        labels: List[str],
        vocabularies: List[List[str]],
        idfs: List[np.ndarray],
        weights: np.ndarray,
        bias: np.ndarray,
        word_ngrams: Tuple[int, int] = (1, 2),
        char_ngrams: Tuple[int, int] = (2, 5),
    ) -> None:
        self.labels = labels
        self.idfs = idfs
        self.weights = weights
        self.bias = bias
        self.vocabularies = vocabularies
        self._vectorizers = [
            _vectorizer("word", word_ngrams, vocabularies[0]),
            _vectorizer("char_wb", char_ngrams, vocabularies[1]),
        ]

    @classmethod
    def fit(
        cls,
        labels: Sequence[str],
        texts: Sequence[str],
        C: float = 100.0,
        word_ngrams: Tuple[int, int] = (1, 2),
        char_ngrams: Tuple[int, int] = (2, 5),
    ) -> SpanishModel:
        plain_texts = [plain(text) for text in texts]
        vocabularies: List[List[str]] = []
        idfs: List[np.ndarray] = []
        for analyzer, ngrams in (("word", word_ngrams), ("char_wb", char_ngrams)):
            counts = _vectorizer(analyzer, ngrams).fit(plain_texts)
            matrix = counts.transform(plain_texts)
            # Smoothed idf, as scikit-learn's TfidfTransformer computes it.
            document_frequency = np.bincount(matrix.indices, minlength=matrix.shape[1])
            idf = np.log((1 + len(plain_texts)) / (1 + document_frequency)) + 1
            vocabularies.append([str(n) for n in counts.get_feature_names_out()])
            idfs.append(idf.astype(np.float32))
        model = cls([], vocabularies, idfs, np.zeros((0, 0)), np.zeros(0), word_ngrams, char_ngrams)
        regression = LogisticRegression(C=C, max_iter=3000, class_weight="balanced")
        regression.fit(model.features(texts), list(labels))
        model.labels = [str(label) for label in regression.classes_]
        model.weights = regression.coef_.astype(np.float32)
        model.bias = regression.intercept_.astype(np.float32)
        return model

    def features(self, texts: Sequence[str]) -> scipy.sparse.csr_matrix:
        plain_texts = [plain(text) for text in texts]
        blocks = []
        for vectorizer, idf in zip(self._vectorizers, self.idfs, strict=True):
            counts = vectorizer.transform(plain_texts).astype(np.float32)
            blocks.append(normalize(counts.multiply(idf.reshape(1, -1)).tocsr()))
        return normalize(scipy.sparse.hstack(blocks).tocsr())

    def rank(self, text: str) -> List[Tuple[str, float]]:
        """(label, probability) for every label, best first."""
        if not self.labels:
            return []
        return self.rank_many([text])[0]

    def rank_many(self, texts: Sequence[str]) -> List[List[Tuple[str, float]]]:
        scores = np.asarray(self.features(texts) @ self.weights.T) + self.bias
        scores -= scores.max(axis=1, keepdims=True)
        probabilities = np.exp(scores)
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        return [
            [(self.labels[i], float(row[i])) for i in np.argsort(-row)] for row in probabilities
        ]


def _vectorizer(
    analyzer: str, ngrams: Tuple[int, int], vocabulary: Optional[Iterable[str]] = None
) -> CountVectorizer:
    return CountVectorizer(
        analyzer=analyzer,
        token_pattern=r"(?u)\b\w+\b" if analyzer == "word" else None,
        ngram_range=tuple(ngrams),
        lowercase=False,
        vocabulary=list(vocabulary) if vocabulary is not None else None,
    )


def choose_threshold(
    labels: Sequence[str], texts: Sequence[str], folds: int = 5, C: float = 100.0, seed: int = 0
) -> Tuple[float, Dict[str, float]]:
    """The confidence below which the language turn is better than the guess, on
    cross-validated predictions of the training examples (never the held-out questions).

    An emitted right answer counts +1, an emitted wrong one -1 (a wrong topic misleads; the
    language turn only fails to help), a held-back guess (crisis, affirm, deny) or one below the
    threshold 0. The threshold maximising the sum is returned, with the figures at it."""
    from sklearn.model_selection import StratifiedKFold

    labels = list(labels)
    texts = list(texts)
    best_of: List[Tuple[str, float]] = [("", 0.0)] * len(texts)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train_index, test_index in splitter.split(texts, labels):
        model = SpanishModel.fit(
            [labels[i] for i in train_index], [texts[i] for i in train_index], C=C
        )
        for i, ranking in zip(
            test_index, model.rank_many([texts[i] for i in test_index]), strict=True
        ):
            best_of[i] = ranking[0]
    emitted = [
        (label, conf, truth)
        for (label, conf), truth in zip(best_of, labels, strict=True)
        if label not in HELD_BACK and truth not in HELD_BACK
    ]
    best = (-(10**9), 0.0)
    for threshold in np.arange(0.0, 0.9, 0.02):
        gain = sum(
            (1 if label == truth else -1) for label, conf, truth in emitted if conf >= threshold
        )
        if gain > best[0]:
            best = (gain, float(round(threshold, 2)))
    threshold = best[1]
    accepted = [(label, truth) for label, conf, truth in emitted if conf >= threshold]
    right = sum(label == truth for label, truth in accepted)
    held_back_examples = [
        (label, truth)
        for (label, _), truth in zip(best_of, labels, strict=True)
        if truth in HELD_BACK
    ]
    figures = {
        "examples": float(len(texts)),
        "accuracy": sum(b[0] == t for b, t in zip(best_of, labels, strict=True)) / len(texts),
        "answered_share": len(accepted) / max(len(emitted), 1),
        "answered_precision": right / max(len(accepted), 1),
        "held_back_kept_out": sum(label in HELD_BACK for label, _ in held_back_examples)
        / max(len(held_back_examples), 1),
    }
    return threshold, figures


# --- the component --------------------------------------------------------------------------------


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class SpanishTopicClassifier(GraphComponent):
    """Gives a Spanish message the language turn's place only when nothing fits it better."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # The team's Spanish examples (Rasa NLU YAML), relative to the project.
            "examples": str(SPANISH_DIR),
            # Below this probability the message keeps the language turn; at or above the
            # FallbackClassifier's threshold (0.2), so the fallback never undoes a guess.
            "threshold": 0.22,
            "C": 100.0,
            "word_ngrams": [1, 2],
            "char_ngrams": [2, 5],
            "ranking_length": 10,
        }

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[Text]:
        return code_fingerprint() + files_digest(_examples_dir(config))

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: Optional[SpanishModel] = None,
        responses: Optional[Dict[str, Any]] = None,
    ) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._model = model
        self._responses = responses or {}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SpanishTopicClassifier:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        pairs = read_examples(_examples_dir(self._config))
        if not pairs:
            logger.warning("No Spanish examples: %s stays untrained.", type(self).__name__)
            return self._resource
        labels = [label for label, _ in pairs]
        texts = [text for _, text in pairs]
        self._model = SpanishModel.fit(
            labels,
            texts,
            C=float(self._config["C"]),
            word_ngrams=_pair(self._config["word_ngrams"]),
            char_ngrams=_pair(self._config["char_ngrams"]),
        )
        self._responses = {
            name: value
            for name, value in training_data.responses.items()
            if any(name.startswith(f"{UTTER_PREFIX}{i}/") for i in RETRIEVAL_INTENTS)
        }
        self.persist()
        return self._resource

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            if self._model is None or not applies_to(message):
                continue
            ranking = self._model.rank(message.get(TEXT) or "")
            if not ranking:
                continue
            label, confidence = ranking[0]
            if label in HELD_BACK or confidence < float(self._config["threshold"]):
                continue
            self._set_prediction(message, [e for e in ranking if e[0] not in HELD_BACK])
        return messages

    def _set_prediction(self, message: Message, ranking: List[Tuple[str, float]]) -> None:
        """The intent, ranking and response selector, as `IntentTopicClassifier` writes them."""
        top_label, top_confidence = ranking[0]
        base_intent = top_label.split(RESPONSE_IDENTIFIER_DELIMITER)[0]
        length = int(self._config["ranking_length"])
        message.set(INTENT, {"name": base_intent, "confidence": top_confidence}, add_to_output=True)
        message.set(
            INTENT_RANKING_KEY,
            [{"name": label, "confidence": conf} for label, conf in ranking[:length]],
            add_to_output=True,
        )
        # The English classifier's reading of a Spanish message says nothing about it.
        message.set(NEAREST_TOPIC, False, add_to_output=True)
        message.set(RESPONSE_SELECTOR_PROPERTY_NAME, {}, add_to_output=True)
        if base_intent not in RETRIEVAL_INTENTS:
            return
        topics = [
            e for e in ranking if e[0].startswith(base_intent + RESPONSE_IDENTIFIER_DELIMITER)
        ]
        utter_action = f"{UTTER_PREFIX}{top_label}"
        selector = {
            RESPONSE_SELECTOR_RETRIEVAL_INTENTS: [base_intent],
            base_intent: {
                RESPONSE_SELECTOR_PREDICTION_KEY: {
                    RESPONSE_SELECTOR_RESPONSES_KEY: self._responses.get(utter_action, []),
                    PREDICTED_CONFIDENCE_KEY: top_confidence,
                    INTENT_RESPONSE_KEY: top_label,
                    RESPONSE_SELECTOR_UTTER_ACTION_KEY: utter_action,
                },
                RESPONSE_SELECTOR_RANKING_KEY: [
                    {
                        "id": int.from_bytes(hashlib.sha1(label.encode()).digest()[:4], "big"),
                        PREDICTED_CONFIDENCE_KEY: conf,
                        INTENT_RESPONSE_KEY: label,
                    }
                    for label, conf in topics[:length]
                ],
            },
        }
        message.set(RESPONSE_SELECTOR_PROPERTY_NAME, selector, add_to_output=True)

    def persist(self) -> None:
        if self._model is None:
            return
        with self._model_storage.write_to(self._resource) as model_dir:
            np.savez_compressed(
                model_dir / MODEL_FILE,
                labels=np.array(self._model.labels, dtype=str),
                weights=self._model.weights,
                bias=self._model.bias,
                **{
                    f"ngrams_{i}": np.array(vocabulary, dtype=str)
                    for i, vocabulary in enumerate(self._model.vocabularies)
                },
                **{f"idf_{i}": idf for i, idf in enumerate(self._model.idfs)},
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
    ) -> SpanishTopicClassifier:
        try:
            with model_storage.read_from(resource) as model_dir:
                stored = np.load(model_dir / MODEL_FILE, allow_pickle=False)
                model = SpanishModel(
                    labels=[str(label) for label in stored["labels"]],
                    vocabularies=[[str(n) for n in stored[f"ngrams_{i}"]] for i in (0, 1)],
                    idfs=[stored[f"idf_{i}"] for i in (0, 1)],
                    weights=stored["weights"],
                    bias=stored["bias"],
                    word_ngrams=_pair(config["word_ngrams"]),
                    char_ngrams=_pair(config["char_ngrams"]),
                )
                responses = json.loads((model_dir / RESPONSES_FILE).read_text("utf-8"))
                return cls(config, model_storage, resource, model, responses)
        except (ValueError, FileNotFoundError, KeyError):
            logger.warning("%s has no trained model; it predicts nothing.", cls.__name__)
            return cls(config, model_storage, resource)


def applies_to(message: Message) -> bool:
    """A Spanish message the language router gave the language turn, and in which the crisis
    guard found neither a crisis nor a check-in."""
    if message.get(LANGUAGE_KEY) != SPANISH:
        return False
    if (message.get(INTENT) or {}).get("name") != OTHER_LANGUAGE_INTENT:
        return False
    verdict = CrisisVerdict.from_message(message)
    return not (verdict.is_crisis or verdict.is_check_in)


def _examples_dir(config: Dict[Text, Any]) -> Path:
    path = Path(str(config.get("examples") or SPANISH_DIR))
    return path if path.is_absolute() else ROOT / path


def _pair(values: Any) -> Tuple[int, int]:
    low, high = values
    return int(low), int(high)


def main() -> None:
    """Prints the threshold `choose_threshold` picks on the training examples, and near copies
    of the held-out questions (there should be none)."""
    pairs = read_examples(ROOT / SPANISH_DIR)
    labels = [label for label, _ in pairs]
    texts = [text for _, text in pairs]
    copies = near_copies(texts, held_out_texts(ROOT / HELD_OUT))
    print(f"{len(pairs)} examples, {len(copies)} near copies of held-out questions")
    threshold, figures = choose_threshold(labels, texts)
    print(f"threshold {threshold}: " + ", ".join(f"{k} {v:.3f}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
