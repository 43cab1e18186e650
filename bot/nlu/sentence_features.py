"""Puts each message's sentence meaning (all-MiniLM-L6-v2) on it, for the project's classifiers.

The n-gram models read the words a message uses; people in danger, and people asking the article's
questions, often use words no training example had. A sentence vector places "i bought a rope
today" near "i have the means ready" without sharing a word. The crisis classifier and the topic
classifier read the vector beside their n-grams (`sentence_embedding`).

The encoder (`bot.nlu.sentence_encoder`, built by `make setup` from the registry package) travels
inside the trained model: `train` copies it into Rasa's model storage, so a model runs wherever it
is unpacked, with nothing fetched at run time.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any, Dict, List, Optional, Text, Tuple

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.questions import question_span
from bot.nlu.sentence_encoder import (
    DEFAULT_DIRECTORY,
    META_FILE,
    MODEL_FILE,
    TOKENIZER_FILE,
    SentenceEncoder,
)

logger = logging.getLogger(__name__)

ORIGIN = "SentenceEmbedder"
# The vector of a story's closing question alone (`bot.nlu.questions.question_span`).
QUESTION_ORIGIN = "SentenceEmbedder.question"
_FILES = (MODEL_FILE, TOKENIZER_FILE, META_FILE)


def sentence_embedding(message: Message, origin: Text = ORIGIN) -> Optional[np.ndarray]:
    """The message's unit-length sentence vector (or its closing question's, with
    `QUESTION_ORIGIN`), if the embedder gave it one."""
    for features in message.features:
        if features.origin == origin and features.attribute == TEXT:
            return np.asarray(features.features, dtype=np.float32).ravel()
    return None


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=True)
class SentenceEmbedder(GraphComponent):
    """Adds all-MiniLM-L6-v2's sentence vector of the text as a dense sentence feature."""

    @classmethod
    def required_components(cls) -> List[type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # Where `make setup` built the encoder; read at training time only.
        return {"encoder_directory": str(DEFAULT_DIRECTORY)}

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[Text]:
        # A rebuilt encoder (another model package) retrains everything that reads its vectors.
        # Rasa may pass the config as written in config.yml, without the defaults.
        meta = Path(config.get("encoder_directory") or DEFAULT_DIRECTORY) / META_FILE
        return meta.read_text(encoding="utf-8") if meta.exists() else None

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        encoder: Optional[SentenceEncoder] = None,
    ) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._encoder = encoder

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceEmbedder:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Copies the built encoder into the model, so the model carries what it needs."""
        source = Path(self._config["encoder_directory"])
        missing = [name for name in _FILES if not (source / name).exists()]
        if missing:
            raise FileNotFoundError(
                f"The sentence encoder is not built in {source} (missing {', '.join(missing)}): "
                "`make setup` builds it."
            )
        with self._model_storage.write_to(self._resource) as model_dir:
            for name in _FILES:
                shutil.copyfile(source / name, model_dir / name)
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> SentenceEmbedder:
        with model_storage.read_from(resource) as model_dir:
            meta = json.loads((Path(model_dir) / META_FILE).read_text(encoding="utf-8"))
            logger.debug("Sentence encoder from %s (%s).", meta.get("source"), model_dir)
            encoder = SentenceEncoder.load(Path(model_dir))
        return cls(config, model_storage, resource, encoder)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._add(training_data.training_examples)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        self._add(messages)
        return messages

    def _add(self, messages: List[Message]) -> None:
        if self._encoder is None:
            return
        chosen = [
            message
            for message in messages
            if message.get(TEXT) and sentence_embedding(message) is None
        ]
        if not chosen:
            return
        texts: List[Text] = []
        owners: List[Tuple[Message, Text]] = []
        for message in chosen:
            text = message.get(TEXT)
            texts.append(text)
            owners.append((message, ORIGIN))
            span = question_span(text)
            if span is not None:
                texts.append(text[span[0] : span[1]])
                owners.append((message, QUESTION_ORIGIN))
        vectors = self._encoder.encode(texts)
        for (message, origin), vector in zip(owners, vectors, strict=True):
            message.add_features(
                Features(vector.reshape(1, -1), FEATURE_TYPE_SENTENCE, TEXT, origin)
            )
