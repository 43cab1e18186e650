"""The assistant in Spanish (issue 20): bot/texts_es.yml, bot.spanish_texts, bot.turns."""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from dataclasses import replace
from typing import Any, Dict, List

import pytest
import yaml

from bot import spanish_texts
from bot.crisis_conversation import ConversationState
from bot.settings import ClinicContact, Settings
from bot.spanish_texts import CONTENT_PATH, SpanishTextsError, parse
from bot.topics import load_topics
from bot.turns import NOTICE, NOTICE_ES, TurnContext, compose_turn, in_conversation, in_language

from conftest import ROOT

SPANISH = TurnContext(Settings(), ClinicContact(), "US", language="es")
# Every turn kind besides the article's answers that a Spanish message must get in Spanish.
TURNS = (
    "utter_advice",
    "utter_not_covered",
    "utter_greet",
    "utter_goodbye",
    "utter_thank",
    "utter_acknowledge",
    "utter_bot_challenge",
    "utter_out_of_scope",
    "utter_fallback",
    "utter_default",
    "utter_restart",
    "utter_capabilities",
    "utter_check_in",
    # The check-in's follow-ups: "no" is the declined turn, "yes" the crisis turn.
    "utter_check_in_declined",
    "utter_crisis",
    "utter_other_language",
)
NUMBER = re.compile(r"\d+(?:[–-]\d+)?%?")
QUOTED = re.compile(r'"[^"\n]+"')
PRESCRIBER = "without your prescriber"
PRESCRIBER_ES = "sin hablar con quien te lo recetó"


def english(domain_responses: Dict[str, Any], name: str) -> Dict[str, Any]:
    return dict(domain_responses[name][0])


def spanish_answer(topic: str) -> str:
    """A topic's Spanish answer without its source line."""
    return spanish_texts.load().responses[f"utter_faq/{topic}"].text


def raw() -> Dict[str, Any]:
    data = yaml.safe_load(CONTENT_PATH.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def parsed(data: Dict[str, Any]) -> spanish_texts.SpanishTexts:
    return parse(data, spanish_texts._declared_responses(), spanish_texts._topic_sections())


# --- every answer and every turn has Spanish words --------------------------------------------


def test_every_topic_and_every_turn_kind_has_spanish_words(
    domain_responses: Dict[str, Any],
) -> None:
    texts = spanish_texts.load()
    for topic in load_topics():
        assert f"utter_faq/{topic}" in texts.responses, topic
        assert topic in texts.titles, topic
    for name in TURNS:
        assert name in texts.responses, name
    for name, spanish in texts.responses.items():
        if name in domain_responses:
            assert spanish.text != english(domain_responses, name)["text"].strip(), name


def test_in_language_gives_the_spanish_words_of_every_answer_and_turn(
    domain_responses: Dict[str, Any],
) -> None:
    for name in [f"utter_faq/{topic}" for topic in load_topics()] + list(TURNS):
        response = english(domain_responses, name) if name in domain_responses else {"text": "x"}
        translated = in_language(name, response, "es")
        assert translated["text"] == spanish_texts.load().text(name), name
        assert in_language(name, response, "en") == response


def test_the_spanish_answers_say_the_same_numbers_quotes_and_cautions(
    domain_responses: Dict[str, Any],
) -> None:
    for topic in load_topics():
        en = english(domain_responses, f"utter_faq/{topic}")["text"]
        es = spanish_answer(topic)
        assert Counter(NUMBER.findall(es)) == Counter(NUMBER.findall(en)), topic
        # The article's words stay marked as its words, as many passages as in English.
        assert len(QUOTED.findall(es)) == len(QUOTED.findall(en)), (topic, QUOTED.findall(es))
        if PRESCRIBER in en:
            assert PRESCRIBER_ES in es, topic
        # About as long as the English answer: a chat bubble.
        assert 60 <= len(es.split()) <= 150, (topic, len(es.split()))


def test_every_spanish_answer_names_the_same_sections_as_its_english_source() -> None:
    texts = spanish_texts.load()
    for topic, entry in load_topics().items():
        line = texts.text(f"utter_faq/{topic}").rsplit("\n\n", 1)[-1]  # type: ignore[union-attr]
        assert line.startswith("_Fuente: el artículo (en inglés), ") and line.endswith("._")
        named = [texts.sections[key] for key in texts.topic_sections[topic]]
        assert len(named) == len(entry.sections), topic
        assert all(section in line for section in named), topic
        # The main section first, the others after "también", as the English "also".
        assert named[0] in line.split("; también ")[0], topic
        assert ("; también " in line) == (len(named) > 1), topic
    assert texts.source_line("bdnf") == (
        "_Fuente: el artículo (en inglés), la sección sobre la neuroplasticidad y el BDNF; "
        "también la sección sobre cómo actúa la ketamina._"
    )


def test_the_greeting_and_capabilities_say_the_article_is_in_english_and_not_the_clinics() -> None:
    texts = spanish_texts.load()
    for name in ("utter_greet", "utter_capabilities"):
        text = texts.responses[name].text
        assert "Modern Mindwork" in text and "inglés" in text, name
        assert "no escribió esta clínica" in text or "no por esta clínica" in text, name
    assert "inglés" in texts.responses["utter_faq/about_source"].text


def test_the_spanish_crisis_turn_says_what_the_english_one_says() -> None:
    text = spanish_texts.load().responses["utter_crisis"].text
    assert "**¿Estás a salvo ahora mismo?**" in text and "24 horas" in text
    assert "no puedo ayudarte en una emergencia" in text
    assert "solo puedo responder en inglés" not in text.lower()


# --- buttons, the fallback, the crisis conversation --------------------------------------------


def test_a_responses_own_buttons_get_spanish_titles_and_keep_their_payloads(
    domain_responses: Dict[str, Any],
) -> None:
    question = english(domain_responses, "utter_check_in")
    translated = in_language("utter_check_in", question, "es")
    assert [b["title"] for b in translated["buttons"]] == ["Sí", "No"]
    assert [b["payload"] for b in translated["buttons"]] == [
        b["payload"] for b in question["buttons"]
    ]
    crisis = in_language("utter_crisis", english(domain_responses, "utter_crisis"), "es")
    assert [b["title"] for b in crisis["buttons"]][0] == "Sí, estoy a salvo"
    assert crisis["text"] == spanish_texts.load().responses["utter_crisis"].text


def test_a_response_without_spanish_words_says_so_in_spanish_never_english_unannounced(
    domain_responses: Dict[str, Any],
) -> None:
    response = english(domain_responses, "utter_clinic/cost")
    translated = in_language("utter_clinic/cost", response, "es")
    assert translated["text"] == spanish_texts.only_english_text()
    assert "solo puedo responder en inglés" in translated["text"]
    unknown = in_language("utter_nothing_like_it", {"text": "English words."}, "es")
    assert unknown["text"] == spanish_texts.only_english_text()


def test_the_crisis_conversations_spanish_is_kept(domain_responses: Dict[str, Any]) -> None:
    # Its own turns: bot/crisis_conversation.yml's Spanish.
    safe = in_language("utter_crisis_safe", english(domain_responses, "utter_crisis_safe"), "es")
    assert safe["text"].startswith("Me alegra que estés a salvo")
    # Other turns inside it keep their Spanish rewording (no menu, no "pick a topic").
    thank = in_conversation("utter_thank", english(domain_responses, "utter_thank"), "es")
    assert in_language("utter_thank", thank, "es")["text"].startswith("De nada. Sigo aquí.")


# --- composing a Spanish turn --------------------------------------------------------------------


def test_a_spanish_turn_has_the_spanish_words_and_both_notices(
    domain_responses: Dict[str, Any],
) -> None:
    for name in ("utter_faq/ssri_nonresponse", "utter_greet", "utter_not_covered", "utter_thank"):
        response = english(domain_responses, name)
        turn = compose_turn(name, in_language(name, response, "es"), SPANISH)
        text = turn["text"]
        assert spanish_texts.load().responses[name].text in text, name
        assert response["text"].strip() not in text, name
        assert f"_{NOTICE_ES}_" in text and f"_{NOTICE}_" in text, name
        assert text.index(NOTICE_ES) < text.index(NOTICE), name
        assert turn["custom"]["language"] == "es" and turn["custom"]["notice"] == NOTICE
    answer = compose_turn(
        "utter_faq/bdnf",
        in_language("utter_faq/bdnf", english(domain_responses, "utter_faq/bdnf"), "es"),
        SPANISH,
    )
    assert "_Fuente: el artículo (en inglés)" in answer["text"]
    assert answer["custom"]["kind"] == "answer" and answer["custom"]["topic"] == "bdnf"
    inside = replace(SPANISH, conversation=ConversationState(active=True))
    crisis = compose_turn(
        "utter_crisis",
        in_language("utter_crisis", english(domain_responses, "utter_crisis"), "es"),
        inside,
    )
    assert "Me alegra mucho" in crisis["text"] and f"_{NOTICE_ES}_" in crisis["text"]


# --- the file is checked when it is read ---------------------------------------------------------


def test_the_content_file_loads_and_every_name_is_a_response_the_assistant_can_say(
    domain_responses: Dict[str, Any],
) -> None:
    spanish_texts.load.cache_clear()
    texts = spanish_texts.load()
    known = set(domain_responses) | {"utter_default", "utter_restart"}
    assert set(texts.responses) <= known


@pytest.mark.parametrize(
    ("change", "place"),
    [
        (lambda d: d["responses"].update({"utter_nope": {"text": "Hola"}}), "responses.utter_nope"),
        (lambda d: d["responses"]["utter_greet"].update(text="  "), "responses.utter_greet.text"),
        (lambda d: d["responses"]["utter_thank"].update(text="{clinic}"), "utter_thank.text"),
        (lambda d: d["responses"]["utter_check_in"].update(buttons=["Sí", ""]), "buttons[1]"),
        (lambda d: d["responses"]["utter_goodbye"].update(title="x"), "utter_goodbye"),
        (lambda d: d["responses"].pop("utter_faq/bdnf"), "utter_faq/bdnf"),
        (lambda d: d["titles"].update(nope="Hola"), "titles.nope"),
        (lambda d: d["titles"].pop("trauma"), "trauma"),
        (lambda d: d["sections"].pop("closing"), "closing"),
        (lambda d: d["source"].update(many="_Fuente: {main}._"), "source.many"),
    ],
)
def test_a_mistake_in_the_content_file_stops_the_load_with_its_place(
    change: Any, place: str
) -> None:
    data = raw()
    change(data)
    with pytest.raises(SpanishTextsError, match=re.escape(place)) as error:
        parsed(data)
    assert CONTENT_PATH.name in str(error.value)


def test_the_content_file_as_it_is_parses() -> None:
    texts: List[str] = list(parsed(raw()).responses)
    assert "utter_faq/depression_overview" in texts


# --- the widget's own words ----------------------------------------------------------------------

WIDGET = ROOT / "bot" / "widget" / "static"


def widget_strings() -> Dict[str, Dict[str, str]]:
    """The chat page's two tables of its own words (chat.js, between its markers)."""
    script = (WIDGET / "chat.js").read_text(encoding="utf-8")
    table = script.split("/* strings */", 1)[1].split("/* end strings */", 1)[0]
    strings = json.loads(table)
    assert isinstance(strings, dict)
    return strings


def test_the_widgets_words_are_in_english_and_spanish_with_the_same_keys() -> None:
    strings = widget_strings()
    assert set(strings) == {"en", "es"}
    assert set(strings["en"]) == set(strings["es"])
    for key, english_words in strings["en"].items():
        assert strings["es"][key].strip() and strings["es"][key] != english_words, key
    assert strings["es"]["send"] == "Enviar" and strings["es"]["crisis_toggle"] == "Ayuda en crisis"


def test_the_english_words_are_the_chat_pages_as_today() -> None:
    page = html.unescape((WIDGET / "chat.html").read_text(encoding="utf-8"))
    english_words = widget_strings()["en"]
    for key in (
        "page_title",
        "title",
        "close",
        "subtitle",
        "crisis_toggle",
        "clear",
        "crisis_title",
        "crisis_done",
        "conversation",
        "question_label",
        "placeholder",
        "send",
    ):
        assert english_words[key] in page, key
    script = (WIDGET / "chat.js").read_text(encoding="utf-8")
    code = script.split("/* end strings */", 1)[1]
    # Every sentence of the widget's own is read from the table, in either language.
    for key in ("retry", "typing", "failed", "cleared", "unanswered", "plan_print", "not_sent"):
        assert json.dumps(english_words[key]) not in code, key
        assert f"T.{key}" in code, key


def test_the_loader_passes_the_snippets_or_the_pages_language_to_the_chat() -> None:
    loader = (WIDGET / "embed.js").read_text(encoding="utf-8")
    assert 'lang: ["lang", pageLanguage]' in loader
    assert "document.documentElement.lang" in loader
    script = (WIDGET / "chat.js").read_text(encoding="utf-8")
    assert 'pickLanguage(fragment.get("lang"))' in script and "navigator.language" in script


# --- through the response generator, as Rasa asks for a turn -------------------------------------


def spanish_message(intent: str) -> Any:
    from rasa.shared.core.events import UserUttered

    return UserUttered(
        "¿qué es el bdnf?",
        intent={"name": intent, "confidence": 1.0},
        parse_data={"intent": {"name": intent, "confidence": 1.0}, "language": "es"},
    )


@pytest.mark.parametrize(
    ("intent", "response", "kind"),
    [
        ("faq/bdnf", "utter_faq/bdnf", "answer"),
        ("greet", "utter_greet", "smalltalk"),
        ("not_covered", "utter_not_covered", "not_covered"),
        ("personal_advice", "utter_advice", "advice"),
    ],
)
def test_the_generator_answers_a_spanish_message_in_spanish(
    domain_responses: Dict[str, Any], intent: str, response: str, kind: str
) -> None:
    import asyncio

    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.nlg import ClinicNaturalLanguageGenerator

    generator = ClinicNaturalLanguageGenerator(
        domain=Domain.from_dict({"responses": domain_responses})
    )
    tracker = DialogueStateTracker.from_events("es", [spanish_message(intent)])
    turn = asyncio.run(generator.generate(response, tracker, "rest"))
    assert turn is not None
    assert spanish_texts.load().responses[response].text in turn["text"]
    assert f"_{NOTICE_ES}_" in turn["text"] and f"_{NOTICE}_" in turn["text"]
    assert turn["custom"]["kind"] == kind and turn["custom"]["language"] == "es"


def test_every_spanish_turn_keeps_the_crisis_lines_in_reach() -> None:
    # The Spanish NLU reads with less certainty: an answer, small talk or advice in Spanish all
    # carry the lines, an English one does not.
    from bot.settings import ClinicContact, Settings
    from bot.turns import TurnContext, compose_turn, in_language

    spanish = TurnContext(Settings(), ClinicContact(), "US", language="es")
    english = TurnContext(Settings(), ClinicContact(), "US")
    for name in ("utter_faq/bdnf", "utter_greet", "utter_advice", "utter_thank"):
        response = in_language(name, {"text": "x"}, "es")
        turn = compose_turn(name, response, spanish)
        assert turn["custom"]["crisis_resources"] is True, name
        assert "988" in turn["text"], name
    plain = compose_turn("utter_faq/bdnf", {"text": "BDNF is..."}, english)
    assert "crisis_resources" not in plain["custom"]
