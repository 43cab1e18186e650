"""Messages in another language: detected offline, English left alone, a Spanish crisis caught."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest
import yaml
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.language import (
    LANGUAGE_KEY,
    OTHER_LANGUAGE_INTENT,
    LanguageRouter,
    SpanishCrisisRules,
    default_detector,
    judge,
    spanish_crisis_rules,
)

from conftest import ROOT, nlu_examples

HELD_OUT = [
    "tests/nlu_heldout.yml",
    "tests/crisis_eval.yml",
    "tests/crisis_eval_blind.yml",
    "tests/crisis_dev.yml",
]


def strings(node: Any) -> List[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, list):
        return [text for item in node for text in strings(item)]
    if isinstance(node, dict):
        return [text for value in node.values() for text in strings(value)]
    return []


def english_messages() -> List[Tuple[str, str]]:
    """Every message the project has: training data, held-out NLU set and the crisis sets."""
    found = []
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")) + [ROOT / HELD_OUT[0]]:
        for label, lines in nlu_examples(path).items():
            found.extend((f"{path.name}:{label}", line) for line in lines)
    for name in HELD_OUT[1:]:
        data = yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))
        found.extend((name, text) for text in strings(data))
    return found


def test_no_english_message_of_the_project_is_taken_for_another_language() -> None:
    messages = english_messages()
    assert len(messages) > 4000
    misread = [(where, text, judge(text)) for where, text in messages]
    misread = [m for m in misread if m[2].language != "en" or m[2].crisis_categories]
    assert misread == []


SHORT_ENGLISH = [
    "ok",
    "yes",
    "no",
    "hi",
    "bdnf?",
    "thanks",
    "tell me more",
    "why?",
    "hello there",
    "nmda?",
    "what is bdnf",
    "idk lol",
    "im gonna unalive",
    "ssri vs snri",
    "ketamine dmn",
    "no cap i wanna unalive myself",
    "defualt mode network ketamine",
    "traumma depresion",
    "treatment resistent depresion",
    "can i drive home after my infusion",
    "ok thx",
    "sí",
]


@pytest.mark.parametrize("text", SHORT_ENGLISH)
def test_short_and_misspelt_english_stays_english(text: str) -> None:
    assert judge(text).language == "en"


SPANISH = [
    "¿Qué es la ketamina?",
    "qué es la ketamina y cómo funciona",
    "Hola, tengo depresión desde hace años y quiero saber si la ketamina me puede ayudar",
    "los antidepresivos no me funcionan, qué hago",
    "me siento muy triste todos los días",
    "ya no aguanto más",
    "¿La ketamina es segura para alguien con ansiedad?",
]


@pytest.mark.parametrize("text", SPANISH)
def test_spanish_is_detected_as_spanish(text: str) -> None:
    verdict = judge(text)
    assert verdict.language == "es" and verdict.crisis_categories == ()


@pytest.mark.parametrize(
    "text, language",
    [
        ("Bonjour, est-ce que la kétamine aide contre la dépression ?", "fr"),
        ("Wie wirkt Ketamin bei Depressionen?", "de"),
        ("O que é a terapia com cetamina?", "pt"),
        ("Cosa è la chetamina e come funziona?", "it"),
        ("Czy ketamina pomaga na depresję?", "pl"),
        ("Что такое кетаминовая терапия?", "ru"),
        ("氯胺酮治疗是什么", "zh"),
    ],
)
def test_other_languages_are_detected(text: str, language: str) -> None:
    assert judge(text).language == language


@pytest.mark.parametrize(
    "text, category",
    [
        ("quiero morir, ya no aguanto más", "suicidal"),
        ("Me quiero matar", "suicidal"),
        ("estoy pensando en suicidarme", "suicidal"),
        ("ya no quiero vivir", "suicidal"),
        ("tengo pensamientos suicidas todo el tiempo", "suicidal"),
        ("he pensado en quitarme la vida", "suicidal"),
        ("Tomé muchas pastillas", "overdose"),
        ("me corto los brazos cuando estoy mal", "self_harm"),
        ("mi esposo me pega", "abuse_violence"),
        ("mi hijo no puede respirar", "medical_emergency"),
        ("mi amiga dice que se quiere suicidar", "someone_else"),
    ],
)
def test_the_clearest_spanish_phrasings_of_danger_are_a_crisis(text: str, category: str) -> None:
    verdict = judge(text)
    assert verdict.language == "es" and category in verdict.crisis_categories


@pytest.mark.parametrize(
    "text",
    [
        "no me quiero morir, solo quiero información",
        "nunca pensaría en suicidarme, pero tengo preguntas",
        "me corté el pelo y me siento fatal",
        "mi jefe me va a matar si llego tarde",
        "no quiero morir, quiero entender mi depresión",
        "tomé mis pastillas como siempre",
    ],
)
def test_negations_and_everyday_spanish_are_not_a_crisis(text: str) -> None:
    assert judge(text).crisis_categories == ()


@pytest.mark.parametrize(
    "text",
    ["what does quiero morir mean", "i said quiero morir to my friend as a joke, its a song"],
)
def test_spanish_words_quoted_in_an_english_message_leave_it_english(text: str) -> None:
    verdict = judge(text)
    assert verdict.language == "en" and verdict.crisis_categories == ()


def test_a_rule_file_with_an_unquoted_no_is_refused(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yml"
    rules.write_text("negations: [no, nunca]\nnegation_window: 2\nrules:\n  x: [quiero morir]\n")
    with pytest.raises(ValueError, match="quote"):
        SpanishCrisisRules.load(rules)
    assert "no" in spanish_crisis_rules().negations


def test_detection_is_quick_and_shares_one_model() -> None:
    import time

    detector = default_detector()
    assert detector is default_detector()
    started = time.perf_counter()
    for _ in range(200):
        judge("i read the whole article about nmda receptors and my first session is soon")
    assert (time.perf_counter() - started) / 200 < 0.005


# --- the NLU component ------------------------------------------------------------------------


def message(text: str, intent: str, crisis: Dict[str, Any] | None = None) -> Message:
    data: Dict[str, Any] = {
        TEXT: text,
        INTENT: {"name": intent, "confidence": 0.6},
        INTENT_RANKING_KEY: [
            {"name": intent, "confidence": 0.6},
            {"name": "faq/ketamine_overview", "confidence": 0.3},
        ],
    }
    if crisis is not None:
        data["crisis"] = crisis
    return Message(data=data)


@pytest.fixture(scope="module")
def router() -> LanguageRouter:
    return LanguageRouter(LanguageRouter.get_default_config())


def test_english_passes_untouched(router: LanguageRouter) -> None:
    english = message("how does ketamine work for depression?", "faq")
    before = dict(english.data)
    router.process([english])
    assert english.get(LANGUAGE_KEY) == "en"
    assert {k: v for k, v in english.data.items() if k != LANGUAGE_KEY} == before


def test_a_spanish_question_gets_the_language_turn(router: LanguageRouter) -> None:
    spanish = message("¿qué es la ketamina y cómo funciona?", "out_of_scope")
    router.process([spanish])
    assert spanish.get(INTENT) == {"name": OTHER_LANGUAGE_INTENT, "confidence": 1.0}
    assert spanish.get(INTENT_RANKING_KEY)[0]["name"] == OTHER_LANGUAGE_INTENT
    assert spanish.get(LANGUAGE_KEY) == "es"


def test_a_spanish_crisis_becomes_a_crisis_with_its_categories(router: LanguageRouter) -> None:
    verdict = {
        "decision": "none",
        "reason": "",
        "rules": [],
        "firm": False,
        "contexts": [],
        "check_in_rules": [],
        "classifier": 0.2,
        "check_in": False,
    }
    spanish = message("quiero morir, ya no aguanto más", "out_of_scope", verdict)
    router.process([spanish])
    assert spanish.get(INTENT) == {"name": "crisis", "confidence": 1.0}
    crisis = spanish.get("crisis")
    assert crisis["decision"] == "crisis" and crisis["rules"] == ["suicidal"]
    assert crisis["reason"] == "spanish_rule" and crisis["classifier"] == 0.2
    assert spanish.get(LANGUAGE_KEY) == "es"


def test_a_check_in_in_another_language_gets_the_language_turn(router: LanguageRouter) -> None:
    check_in = message("Bonjour, est-ce que la kétamine aide contre la dépression ?", "check_in")
    router.process([check_in])
    assert check_in.get(INTENT)["name"] == OTHER_LANGUAGE_INTENT
    assert [e["name"] for e in check_in.get(INTENT_RANKING_KEY)] == [
        OTHER_LANGUAGE_INTENT,
        "faq/ketamine_overview",
    ]
    assert check_in.get(LANGUAGE_KEY) == "fr"


def test_a_crisis_the_guard_found_stays_a_crisis(router: LanguageRouter) -> None:
    crisis = message("Ich will nicht mehr leben, ich habe Tabletten gesammelt", "crisis")
    router.process([crisis])
    assert crisis.get(INTENT)["name"] == "crisis" and crisis.get(LANGUAGE_KEY) == "de"


def test_a_button_payload_is_english(router: LanguageRouter) -> None:
    payload = message("/faq/ketamine_overview", "faq")
    router.process([payload])
    assert payload.get(INTENT)["name"] == "faq" and payload.get(LANGUAGE_KEY) == "en"
