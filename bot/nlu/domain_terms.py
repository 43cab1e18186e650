"""Domain terms (medications, treatments) from the project's spaCy pipeline as Rasa entities.

The entity ruler in `bot/nlu/spacy_pipeline.py` marks each name people write ("zoloft", "spravato")
with its label and canonical name; this component reports them with the canonical name as the
value, so the dialogue can say "your sertraline" whichever brand the person typed.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import SPACY_DOCS
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot.payload import is_payload

DOMAIN_TERM_LABELS = ("medication", "treatment")


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class DomainTermExtractor(GraphComponent):
    """Adds the spaCy entity ruler's medications and treatments to the message's entities."""

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> DomainTermExtractor:
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            found = domain_terms(message)
            if found:
                message.set(ENTITIES, [*(message.get(ENTITIES) or []), *found], add_to_output=True)
        return messages


def domain_terms(message: Message) -> List[Dict[Text, Any]]:
    """The message's medications and treatments, each with its canonical name as the value."""
    doc: Optional[Any] = message.get(SPACY_DOCS[TEXT])
    # A button payload ("/faq/integration") names a topic, not something the person wrote.
    if doc is None or is_payload(message.get(TEXT)):
        return []
    return [
        {
            ENTITY_ATTRIBUTE_TYPE: ent.label_,
            ENTITY_ATTRIBUTE_VALUE: ent.ent_id_ or ent.text,
            ENTITY_ATTRIBUTE_START: ent.start_char,
            ENTITY_ATTRIBUTE_END: ent.end_char,
            EXTRACTOR: DomainTermExtractor.__name__,
        }
        for ent in doc.ents
        if ent.label_ in DOMAIN_TERM_LABELS
    ]
