"""Sentence meaning: the MiniLM encoder, the component that puts its vectors on messages, and the
two classifiers that read those vectors beside their n-grams."""

from __future__ import annotations

import filecmp
import math
import zipfile
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import pytest
import spacy
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import (
    FEATURE_TYPE_SENTENCE,
    INTENT,
    INTENT_RANKING_KEY,
    INTENT_RESPONSE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.special import erf

from bot.nlu.crisis_classifier import CrisisClassifier
from bot.nlu.questions import question_span
from bot.nlu.sentence_encoder import (
    DIMENSION,
    MAX_TOKENS,
    META_FILE,
    MODEL_FILE,
    TOKENIZER_FILE,
    SentenceEncoder,
    _graph,
    package_archive,
)
from bot.nlu.sentence_features import (
    ORIGIN,
    QUESTION_ORIGIN,
    SentenceEmbedder,
    sentence_embedding,
)
from bot.nlu.spacy_pipeline import build_pipeline
from bot.nlu.topic_classifier import IntentTopicClassifier

from conftest import ROOT

ENCODER_DIRECTORY = ROOT / "build" / "minilm"
MISSING_HINT = "`make setup` (which `make test` runs first) builds it"

# Sentences of different lengths; the last is cut at MAX_TOKENS word pieces.
SHORT = "does ketamine help with depression"
MEDIUM = (
    "my doctor suggested an ssri for my anxiety but i am worried it will blunt my emotions "
    "and make me feel flat, is that common?"
)
LONG = " ".join(
    [
        "I have been depressed on and off since I was a teenager and I tried three different",
        "antidepressants over the years, each one helped a little at first and then stopped.",
    ]
    * 6
)
STORY = (
    "My brother has been on fluoxetine for six weeks. Nothing has changed for him. "
    "Why do antidepressants take so long to work?"
)

CRISIS = [
    "i want to die",
    "i really want to kill myself",
    "i have the pills ready for tonight",
    "work was awful and my sister stopped calling. i am going to end it tonight",
    "nobody would miss me if i was gone",
    "i bought a rope today",
]
NOT_CRISIS = [
    "i do not want to die, i just want to sleep better",
    "what is bdnf",
    "work was awful and my sister stopped calling. can i book a consult",
    "how does ketamine work",
    "i am not going to hurt myself, i am just tired",
    "does an ssri help with anxiety",
]
CRISIS_MEANING_WEIGHT = 0.7

# (text, full label) for a tiny topic model: two article topics and two plain intents.
TOPIC_EXAMPLES = [
    ("how fast does ketamine work", "faq/ketamine_speed"),
    ("when will i feel ketamine working", "faq/ketamine_speed"),
    ("how many hours until ketamine helps", "faq/ketamine_speed"),
    ("what is bdnf", "faq/bdnf"),
    ("how does bdnf help neurons grow", "faq/bdnf"),
    ("explain brain derived neurotrophic factor", "faq/bdnf"),
    ("hello there", "greet"),
    ("hi, good morning", "greet"),
    ("hey how are you", "greet"),
    ("thanks, bye", "goodbye"),
    ("see you later", "goodbye"),
    ("goodbye and thank you", "goodbye"),
]
HELD_OUT = "is ketamine quick to lift my mood"


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


class ReferenceBert:
    """all-MiniLM-L6-v2 in plain numpy (float64), straight from the package's safetensors."""

    def __init__(self, weights: Dict[str, np.ndarray], tokenizer: Any) -> None:
        self.weights = weights
        self.tokenizer = tokenizer

    def ids(self, text: str) -> List[int]:
        return list(self.tokenizer.encode(text).ids)

    def _layer_norm(self, x: np.ndarray, prefix: str) -> np.ndarray:
        mean = x.mean(axis=-1, keepdims=True)
        variance = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
        normed = (x - mean) / np.sqrt(variance + 1e-12)
        return normed * self.weights[f"{prefix}.weight"] + self.weights[f"{prefix}.bias"]

    def _linear(self, x: np.ndarray, prefix: str) -> np.ndarray:
        # Stored as PyTorch keeps them: (out, in).
        return x @ self.weights[f"{prefix}.weight"].T + self.weights[f"{prefix}.bias"]

    def embed(self, text: str) -> np.ndarray:
        w = self.weights
        ids = np.asarray(self.ids(text))
        length = len(ids)
        heads, head_size = 12, 32
        x = (
            w["embeddings.word_embeddings.weight"][ids].astype(np.float64)
            + w["embeddings.position_embeddings.weight"][:length]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = self._layer_norm(x, "embeddings.LayerNorm")
        for index in range(6):
            p = f"encoder.layer.{index}"

            def split(name: str, x: np.ndarray = x, p: str = p) -> np.ndarray:
                projected = self._linear(x, f"{p}.attention.self.{name}")
                return projected.reshape(length, heads, head_size).transpose(1, 0, 2)

            query, key, value = split("query"), split("key"), split("value")
            scores = query @ key.transpose(0, 2, 1) / math.sqrt(head_size)
            attention = np.exp(scores - scores.max(axis=-1, keepdims=True))
            attention /= attention.sum(axis=-1, keepdims=True)
            context = (attention @ value).transpose(1, 0, 2).reshape(length, heads * head_size)
            attended = self._linear(context, f"{p}.attention.output.dense")
            x = self._layer_norm(attended + x, f"{p}.attention.output.LayerNorm")
            hidden = self._linear(x, f"{p}.intermediate.dense")
            hidden = 0.5 * hidden * (1.0 + erf(hidden / math.sqrt(2.0)))
            x = self._layer_norm(
                self._linear(hidden, f"{p}.output.dense") + x, f"{p}.output.LayerNorm"
            )
        pooled = x.mean(axis=0)
        return pooled / np.linalg.norm(pooled)


def _archive() -> Path:
    try:
        return package_archive()
    except FileNotFoundError as error:
        pytest.fail(f"The MiniLM package is missing: {error} {MISSING_HINT}.")


@pytest.fixture(scope="module")
def weights() -> Dict[str, np.ndarray]:
    from safetensors.numpy import load

    with zipfile.ZipFile(_archive()) as bundle:
        return load(bundle.read("model.safetensors"))


@pytest.fixture(scope="module")
def reference(weights: Dict[str, np.ndarray]) -> ReferenceBert:
    from tokenizers import Tokenizer

    with zipfile.ZipFile(_archive()) as bundle:
        tokenizer = Tokenizer.from_str(bundle.read("tokenizer.json").decode("utf-8"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(MAX_TOKENS)
    return ReferenceBert(weights, tokenizer)


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    if not (ENCODER_DIRECTORY / MODEL_FILE).exists():
        pytest.fail(f"No sentence encoder in {ENCODER_DIRECTORY}: {MISSING_HINT}.")
    return SentenceEncoder.load(ENCODER_DIRECTORY)


@pytest.fixture(scope="module")
def nlp() -> spacy.language.Language:
    return build_pipeline()


@pytest.fixture()
def storage(tmp_path: Path) -> LocalModelStorage:
    return LocalModelStorage(tmp_path)


@pytest.fixture()
def context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), "test-model")


def tokenized(nlp: Any, text: str, **data: Any) -> Message:
    """A message with tokens and lemmas as Rasa's SpacyTokenizer sets them."""
    message = Message(data={TEXT: text, **data})
    doc = nlp(text.lower())
    message.set(
        TOKENS_NAMES[TEXT], [Token(t.text, t.idx, lemma=t.lemma_) for t in doc if not t.is_space]
    )
    return message


def with_meaning(message: Message, vector: np.ndarray) -> Message:
    message.add_features(Features(vector.reshape(1, -1), FEATURE_TYPE_SENTENCE, TEXT, ORIGIN))
    return message


def features_by_origin(message: Message) -> Dict[str, int]:
    counts: Dict[str, int] = {}
    for features in message.features:
        counts[features.origin] = counts.get(features.origin, 0) + 1
    return counts


# --- the encoder ---------------------------------------------------------------------------------


def test_vectors_are_unit_length_with_384_dimensions(encoder: SentenceEncoder) -> None:
    vectors = encoder.encode([SHORT, MEDIUM, LONG, ""])
    assert vectors.shape == (4, DIMENSION) == (4, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_no_texts_give_an_empty_matrix_of_the_vectors_width(encoder: SentenceEncoder) -> None:
    assert encoder.encode([]).shape == (0, 384)


def test_the_order_of_a_batch_does_not_change_a_texts_vector(encoder: SentenceEncoder) -> None:
    texts = [LONG, "ok", SHORT, "thanks", MEDIUM, "i want to end my life"]
    forward = encoder.encode(texts)
    backward = encoder.encode(texts[::-1])[::-1]
    for text, a, b in zip(texts, forward, backward, strict=True):
        assert cosine(a, b) > 0.999, text


def test_a_texts_vector_is_the_same_in_a_batch_as_alone(encoder: SentenceEncoder) -> None:
    """Training encodes examples in batches, the server one message at a time: a text's vector
    must not depend on the texts it happened to share a batch with."""
    texts = [LONG, "ok", SHORT, "thanks", MEDIUM, "i want to end my life"]
    together = encoder.encode(texts)
    alone = np.concatenate([encoder.encode([text]) for text in texts])
    drifted = {
        text[:40]: round(cosine(a, b), 4)
        for text, a, b in zip(texts, together, alone, strict=True)
        if cosine(a, b) <= 0.999
    }
    assert drifted == {}


def test_paraphrases_about_ketamines_speed_are_closer_than_the_weather(
    encoder: SentenceEncoder,
) -> None:
    fast, hours, weather = encoder.encode(
        [
            "how quickly does ketamine start working",
            "ketamine can lift depression within hours",
            "it will rain all weekend in the city",
        ]
    )
    assert cosine(fast, hours) > max(cosine(fast, weather), cosine(hours, weather))


def test_wanting_to_end_ones_life_is_closer_to_itself_than_to_a_video_game(
    encoder: SentenceEncoder,
) -> None:
    end, alive, game = encoder.encode(
        [
            "i want to end my life",
            "i dont want to be alive anymore",
            "i finally beat the last level of that video game",
        ]
    )
    assert cosine(end, alive) > max(cosine(end, game), cosine(alive, game))


def test_the_int8_encoder_stays_close_to_the_float_model(
    encoder: SentenceEncoder, reference: ReferenceBert
) -> None:
    # The long text is cut where the tokenizer cuts it, in both.
    assert len(reference.ids(SHORT)) < len(reference.ids(MEDIUM)) < len(reference.ids(LONG))
    assert len(reference.ids(LONG)) == MAX_TOKENS
    for text in (SHORT, MEDIUM, LONG):
        assert cosine(encoder.encode([text])[0], reference.embed(text)) >= 0.98, text


@pytest.fixture(scope="module")
def float_graph(weights: Dict[str, np.ndarray]) -> Any:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(
        _graph(weights).SerializeToString(), options, providers=["CPUExecutionProvider"]
    )


def test_the_float_graph_is_bert_itself(float_graph: Any, reference: ReferenceBert) -> None:
    ids = np.asarray([reference.ids(MEDIUM)], dtype=np.int64)
    (output,) = float_graph.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids)})
    assert output.shape == (1, DIMENSION)
    assert cosine(output[0], reference.embed(MEDIUM)) > 0.9999


def test_the_float_graph_ignores_padding_in_a_batch(
    float_graph: Any, reference: ReferenceBert
) -> None:
    texts = [SHORT, MEDIUM]
    ids = [reference.ids(text) for text in texts]
    width = max(len(row) for row in ids)
    batch = np.zeros((len(ids), width), dtype=np.int64)
    mask = np.zeros((len(ids), width), dtype=np.int64)
    for row, row_ids in enumerate(ids):
        batch[row, : len(row_ids)] = row_ids
        mask[row, : len(row_ids)] = 1
    assert mask.sum() < mask.size  # the short text is padded
    (output,) = float_graph.run(None, {"input_ids": batch, "attention_mask": mask})
    for text, vector in zip(texts, output, strict=True):
        assert cosine(vector, reference.embed(text)) > 0.9999, text


# --- the component -------------------------------------------------------------------------------


def embedder_config(directory: Path = ENCODER_DIRECTORY) -> Dict[str, Any]:
    return {**SentenceEmbedder.get_default_config(), "encoder_directory": str(directory)}


@pytest.fixture()
def trained_embedder(
    encoder: SentenceEncoder, storage: LocalModelStorage, context: ExecutionContext
) -> SentenceEmbedder:
    """An embedder trained into the storage and loaded back from it, as Rasa would (`encoder`
    first fails with a clear message when the build is missing)."""
    resource = Resource("embedder")
    config = embedder_config()
    SentenceEmbedder.create(config, storage, resource, context).train(TrainingData())
    return SentenceEmbedder.load(config, storage, resource, context)


def test_training_copies_the_built_encoder_into_the_model(
    encoder: SentenceEncoder, storage: LocalModelStorage, context: ExecutionContext
) -> None:
    resource = Resource("embedder")
    embedder = SentenceEmbedder.create(embedder_config(), storage, resource, context)
    assert embedder.train(TrainingData()) == resource
    with storage.read_from(resource) as model_dir:
        for name in (MODEL_FILE, TOKENIZER_FILE, META_FILE):
            assert filecmp.cmp(model_dir / name, ENCODER_DIRECTORY / name, shallow=False), name


def test_a_loaded_embedder_adds_one_sentence_vector(
    trained_embedder: SentenceEmbedder, encoder: SentenceEncoder
) -> None:
    message = Message(data={TEXT: MEDIUM})
    trained_embedder.process([message])
    assert features_by_origin(message) == {ORIGIN: 1}
    (features,) = message.features
    assert (features.type, features.attribute) == (FEATURE_TYPE_SENTENCE, TEXT)
    assert features.features.shape == (1, DIMENSION)
    vector = sentence_embedding(message)
    assert vector is not None
    assert cosine(vector, encoder.encode([MEDIUM])[0]) > 0.9999


def test_a_story_that_ends_with_a_question_also_gets_the_questions_vector(
    trained_embedder: SentenceEmbedder, encoder: SentenceEncoder
) -> None:
    span = question_span(STORY)
    assert span is not None
    question = STORY[span[0] : span[1]]
    message = Message(data={TEXT: STORY})
    trained_embedder.process([message])
    assert features_by_origin(message) == {ORIGIN: 1, QUESTION_ORIGIN: 1}
    whole = sentence_embedding(message)
    asked = sentence_embedding(message, QUESTION_ORIGIN)
    assert whole is not None and asked is not None
    question_alone, story_alone = encoder.encode([question]), encoder.encode([STORY])
    assert cosine(asked, question_alone[0]) > cosine(asked, story_alone[0])
    assert cosine(whole, story_alone[0]) > cosine(whole, question_alone[0])


def test_a_message_never_processed_has_no_sentence_vector() -> None:
    message = Message(data={TEXT: SHORT})
    assert sentence_embedding(message) is None
    assert sentence_embedding(message, QUESTION_ORIGIN) is None


def test_a_message_processed_twice_keeps_one_vector_per_origin(
    trained_embedder: SentenceEmbedder,
) -> None:
    message = Message(data={TEXT: STORY})
    trained_embedder.process([message])
    first = sentence_embedding(message)
    trained_embedder.process([message])
    assert features_by_origin(message) == {ORIGIN: 1, QUESTION_ORIGIN: 1}
    again = sentence_embedding(message)
    assert first is not None and again is not None
    np.testing.assert_array_equal(again, first)


def test_training_without_a_built_encoder_says_to_run_make_setup(
    tmp_path: Path, storage: LocalModelStorage, context: ExecutionContext
) -> None:
    config = embedder_config(tmp_path / "no-encoder-here")
    embedder = SentenceEmbedder.create(config, storage, Resource("embedder"), context)
    with pytest.raises(FileNotFoundError, match="make setup"):
        embedder.train(TrainingData())


# --- the crisis classifier -----------------------------------------------------------------------


def embedded_message(nlp: Any, encoder: SentenceEncoder, text: str) -> Message:
    return with_meaning(tokenized(nlp, text), encoder.encode([text])[0])


@pytest.fixture(scope="module")
def crisis_model(nlp: Any, encoder: SentenceEncoder) -> CrisisClassifier:
    messages = [embedded_message(nlp, encoder, text) for text in CRISIS + NOT_CRISIS]
    labels = [True] * len(CRISIS) + [False] * len(NOT_CRISIS)
    return CrisisClassifier.fit(
        messages, labels, C=50.0, max_iter=2000, tol=1e-4, meaning_weight=CRISIS_MEANING_WEIGHT
    )


CRISIS_PROBES = [
    *CRISIS,
    *NOT_CRISIS,
    "i have the means ready",
    "words it never saw",
    "i do not want to die. honestly",
]


def test_the_crisis_probability_with_a_sentence_vector_is_the_joint_features_score(
    nlp: Any, encoder: SentenceEncoder, crisis_model: CrisisClassifier
) -> None:
    for text in CRISIS_PROBES:
        message = embedded_message(nlp, encoder, text)
        features = crisis_model._features([message])
        expected = 1.0 / (
            1.0 + math.exp(-(features.dot(crisis_model._weights)[0] + crisis_model._bias))
        )
        assert crisis_model.probability(message) == pytest.approx(expected, abs=1e-6), text


def test_the_sentence_vector_moves_the_crisis_probability(
    nlp: Any, encoder: SentenceEncoder, crisis_model: CrisisClassifier
) -> None:
    """Without this, the score above would hold as well for a model that ignored the vector."""
    text = "i have the means ready"
    plain = crisis_model.probability(tokenized(nlp, text))
    assert abs(crisis_model.probability(embedded_message(nlp, encoder, text)) - plain) > 1e-3


def test_saving_and_loading_keeps_the_crisis_models_meaning_weight(
    nlp: Any, encoder: SentenceEncoder, crisis_model: CrisisClassifier, tmp_path: Path
) -> None:
    crisis_model.save(tmp_path)
    loaded = CrisisClassifier.load(tmp_path)
    assert loaded._meaning_weight == pytest.approx(CRISIS_MEANING_WEIGHT)
    for text in CRISIS_PROBES:
        message = embedded_message(nlp, encoder, text)
        assert loaded.probability(message) == pytest.approx(
            crisis_model.probability(message), abs=1e-5
        ), text


# --- the topic classifier ------------------------------------------------------------------------


def topic_training_data(nlp: Any, embedder: Optional[SentenceEmbedder]) -> TrainingData:
    examples = []
    for text, label in TOPIC_EXAMPLES:
        data: Dict[str, Any] = {INTENT: label.split("/")[0]}
        if "/" in label:
            data[INTENT_RESPONSE_KEY] = label
        examples.append(tokenized(nlp, text, **data))
    training_data = TrainingData(training_examples=examples)
    return embedder.process_training_data(training_data) if embedder else training_data


def topic_model(
    nlp: Any,
    storage: LocalModelStorage,
    context: ExecutionContext,
    embedder: Optional[SentenceEmbedder],
    meaning_weight: float,
    name: str,
) -> Tuple[IntentTopicClassifier, Dict[str, Any], Resource]:
    config = {**IntentTopicClassifier.get_default_config(), "meaning_weight": meaning_weight}
    resource = Resource(name)
    model = IntentTopicClassifier.create(config, storage, resource, context)
    model.train(topic_training_data(nlp, embedder))
    return model, config, resource


def ranking(model: IntentTopicClassifier, message: Message) -> List[Tuple[str, float]]:
    model.process([message])
    return [(entry["name"], entry["confidence"]) for entry in message.get(INTENT_RANKING_KEY)]


def held_out(nlp: Any, embedder: Optional[SentenceEmbedder]) -> Message:
    message = tokenized(nlp, HELD_OUT)
    if embedder is not None:
        embedder.process([message])
    return message


def test_the_topic_model_ranks_alike_before_saving_and_after_loading(
    nlp: Any,
    storage: LocalModelStorage,
    context: ExecutionContext,
    trained_embedder: SentenceEmbedder,
) -> None:
    trained, config, resource = topic_model(nlp, storage, context, trained_embedder, 1.0, "topics")
    loaded = IntentTopicClassifier.load(config, storage, resource, context)
    before = ranking(trained, held_out(nlp, trained_embedder))
    after = ranking(loaded, held_out(nlp, trained_embedder))
    assert before[0][0] == "faq/ketamine_speed"
    assert [label for label, _ in after] == [label for label, _ in before]
    assert [c for _, c in after] == pytest.approx([c for _, c in before], abs=1e-6)
    # The loaded model reads the sentence vector too: without it, the confidences change.
    without_meaning = dict(ranking(loaded, held_out(nlp, None)))
    assert max(abs(confidence - without_meaning[label]) for label, confidence in after) > 1e-3


def test_with_meaning_weight_zero_the_sentence_vector_changes_nothing(
    nlp: Any,
    storage: LocalModelStorage,
    context: ExecutionContext,
    trained_embedder: SentenceEmbedder,
) -> None:
    with_vectors, _, _ = topic_model(nlp, storage, context, trained_embedder, 0.0, "with")
    without_vectors, _, _ = topic_model(nlp, storage, context, None, 0.0, "without")
    expected = ranking(without_vectors, held_out(nlp, None))
    assert ranking(with_vectors, held_out(nlp, trained_embedder)) == expected
    assert ranking(with_vectors, held_out(nlp, None)) == expected


def test_the_fingerprint_addon_reads_the_default_directory_without_a_config() -> None:
    # Rasa passes the config as written (without the defaults) when it trains from scratch.
    from bot.nlu.sentence_features import SentenceEmbedder

    written = SentenceEmbedder.fingerprint_addon({})
    defaults = SentenceEmbedder.fingerprint_addon(SentenceEmbedder.get_default_config())
    assert written == defaults
