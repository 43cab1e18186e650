"""Spanish understood in Spanish: the examples stay apart from the held-out questions, a Spanish
question gets its topic, and a Spanish crisis or check-in keeps the guard's or the rules' turn."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest
import yaml
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot import launcher
from bot.nlu.answered_topic import answered_label
from bot.nlu.language import LANGUAGE_KEY, OTHER_LANGUAGE_INTENT, LanguageRouter
from bot.nlu.spanish_topics import (
    HELD_BACK,
    HELD_OUT,
    ROOT,
    SPANISH_DIR,
    SpanishTopicClassifier,
    held_out_texts,
    near_copies,
    read_examples,
    words,
)

NONE = {"decision": "none", "reason": "", "rules": [], "classifier": 0.1, "check_in": False}


def test_the_examples_are_read_and_accents_and_punctuation_do_not_count() -> None:
    assert words("¿Qué es la KETAMINA?") == {"que", "es", "la", "ketamina"}
    assert len(read_examples(ROOT / SPANISH_DIR)) > 800


def test_no_training_example_is_a_near_copy_of_a_held_out_question() -> None:
    texts = [text for _, text in read_examples(ROOT / SPANISH_DIR)]
    held_out = held_out_texts(ROOT / HELD_OUT)
    assert len(held_out) >= 60
    assert near_copies(texts, held_out) == []


def test_near_copies_are_found() -> None:
    assert near_copies(["¿Qué es el BDNF?"], ["que es el bdnf"]) == [(0, 0, 1.0)]
    assert near_copies(["qué es el bdnf"], ["cómo actúa la ketamina en el cerebro"]) == []


def domain_intents() -> set:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return set(domain["intents"])


def test_every_spanish_label_is_a_domain_intent_or_a_known_topic() -> None:
    responses = set()
    for path in (ROOT / "data" / "responses").glob("*.yml"):
        responses.update(
            (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("responses", {})
        )
    for label, _ in read_examples(ROOT / SPANISH_DIR):
        if "/" in label:
            assert f"utter_{label}" in responses, label
        else:
            assert label in domain_intents(), label


def test_the_spanish_examples_are_part_of_the_launchers_fingerprint() -> None:
    files = {path.relative_to(ROOT) for path in launcher._files(launcher.TRAINING_INPUTS)}
    assert {Path(SPANISH_DIR) / p.name for p in (ROOT / SPANISH_DIR).glob("*.yml")} <= files


def test_a_change_to_the_spanish_examples_changes_the_components_fingerprint(
    tmp_path: Path,
) -> None:
    (tmp_path / "a.yml").write_text("nlu: []\n", encoding="utf-8")
    first = SpanishTopicClassifier.fingerprint_addon({"examples": str(tmp_path)})
    (tmp_path / "a.yml").write_text("nlu: [] # changed\n", encoding="utf-8")
    assert SpanishTopicClassifier.fingerprint_addon({"examples": str(tmp_path)}) != first


# --- the trained component ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def classifier(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SpanishTopicClassifier]:
    storage = LocalModelStorage(tmp_path_factory.mktemp("storage"))
    resource = Resource("spanish_topics")
    config = SpanishTopicClassifier.get_default_config()
    context = ExecutionContext(graph_schema=None, model_id="test")  # type: ignore[arg-type]
    trained = SpanishTopicClassifier.create(config, storage, resource, context)
    trained.train(TrainingData())
    # What the trained model carries is what a loaded one reads.
    yield SpanishTopicClassifier.load(config, storage, resource, context)


@pytest.fixture(scope="module")
def router() -> LanguageRouter:
    return LanguageRouter(LanguageRouter.get_default_config())


def parse(
    router: LanguageRouter,
    classifier: SpanishTopicClassifier,
    text: str,
    intent: str = "out_of_scope",
    crisis: Optional[Dict[str, Any]] = None,
) -> Message:
    """What the English pipeline left, then the language router and the Spanish classifier."""
    message = Message(
        data={
            TEXT: text,
            INTENT: {"name": intent, "confidence": 0.6},
            INTENT_RANKING_KEY: [{"name": intent, "confidence": 0.6}],
            "crisis": crisis or NONE,
        }
    )
    router.process([message])
    classifier.process([message])
    return message


def label_of(message: Message) -> Optional[str]:
    return answered_label(message.as_dict(only_output_properties=True))


@pytest.mark.parametrize(
    "text, topic",
    [
        ("¿Qué es el BDNF y qué tiene que ver con la depresión?", "faq/bdnf"),
        (
            "¿Por qué la ketamina funciona tan rápido, en horas y no en semanas?",
            "faq/ketamine_speed",
        ),
        (
            "los antidepresivos me dejan sin emociones, es normal sentirse plano?",
            "faq/ssri_blunting",
        ),
    ],
)
def test_a_spanish_faq_question_gets_its_topic(
    router: LanguageRouter, classifier: SpanishTopicClassifier, text: str, topic: str
) -> None:
    message = parse(router, classifier, text)
    assert message.get(LANGUAGE_KEY) == "es"
    assert message.get(INTENT)["name"] == "faq"
    assert label_of(message) == topic
    assert message.get(INTENT_RANKING_KEY)[0]["name"] == topic


@pytest.mark.parametrize(
    "text",
    [
        "quiero morir, ya no aguanto más",
        "me quiero matar, no le veo sentido a nada",
    ],
)
def test_spanish_crisis_phrasing_stays_a_crisis(
    router: LanguageRouter, classifier: SpanishTopicClassifier, text: str
) -> None:
    message = parse(router, classifier, text)
    assert message.get(INTENT)["name"] == "crisis"
    assert message.get("crisis")["decision"] == "crisis"


def test_a_crisis_example_the_rules_miss_keeps_the_language_turn_with_its_lines(
    router: LanguageRouter, classifier: SpanishTopicClassifier
) -> None:
    message = parse(
        router, classifier, "esta noche me voy a quitar la vida, ya tengo las pastillas"
    )
    assert message.get(INTENT)["name"] == OTHER_LANGUAGE_INTENT


def test_a_crisis_or_check_in_the_guard_found_is_kept(
    router: LanguageRouter, classifier: SpanishTopicClassifier
) -> None:
    text = "¿Qué es el BDNF y qué tiene que ver con la depresión?"
    crisis = parse(router, classifier, text, "crisis", {**NONE, "decision": "crisis"})
    assert crisis.get(INTENT)["name"] == "crisis"
    check_in = parse(router, classifier, text, "check_in", {**NONE, "decision": "check_in"})
    assert check_in.get(INTENT)["name"] == OTHER_LANGUAGE_INTENT


def test_the_held_back_labels_are_never_emitted(
    router: LanguageRouter, classifier: SpanishTopicClassifier
) -> None:
    texts: List[str] = [t for label, t in read_examples(ROOT / SPANISH_DIR) if label in HELD_BACK]
    for text in texts:
        message = parse(router, classifier, text)
        assert message.get(INTENT)["name"] not in HELD_BACK - {"crisis"}
        if message.get(INTENT)["name"] == "crisis":
            # Only the Spanish crisis rules make a crisis; the classifier never does.
            assert message.get("crisis")["reason"] == "spanish_rule"


def test_english_is_left_untouched(
    router: LanguageRouter, classifier: SpanishTopicClassifier
) -> None:
    message = parse(router, classifier, "what is bdnf and how does ketamine raise it?", "faq")
    assert message.get(LANGUAGE_KEY) == "en"
    assert message.get(INTENT) == {"name": "faq", "confidence": 0.6}


def test_a_spanish_message_below_the_threshold_keeps_the_language_turn(
    router: LanguageRouter, classifier: SpanishTopicClassifier
) -> None:
    strict = SpanishTopicClassifier(
        {**classifier._config, "threshold": 1.01},
        classifier._model_storage,
        classifier._resource,
        classifier._model,
    )
    message = parse(router, strict, "¿Qué es el BDNF y qué tiene que ver con la depresión?")
    assert message.get(INTENT)["name"] == OTHER_LANGUAGE_INTENT
