"""The assistant's words in Spanish (`bot/texts_es.yml`), read and checked once.

`bot.turns.in_language` asks this module for a response's Spanish text and button titles. An
article answer's Spanish text ends with its Spanish source line, made from the topic's sections
in `bot/topics.yml`, so it names the same sections as the English one. The file is checked when
it is read: a response the assistant cannot say, an empty text, a placeholder the response
generator would not fill, a topic or a section without Spanish words, each stops the load with
its place in the file named.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Mapping, Optional, Tuple

import yaml

from bot.topics import ANSWER_PREFIX, TOPICS_PATH

CONTENT_PATH = Path(__file__).with_name("texts_es.yml")
ROOT = Path(__file__).resolve().parents[1]
# Where the responses the assistant can say are declared (domain.yml and data/responses/*.yml).
DOMAIN_FILES = (ROOT / "domain.yml", *sorted((ROOT / "data" / "responses").glob("*.yml")))
# Rasa's built-in actions utter these; bot.turns holds their English words.
BUILT_IN = frozenset({"utter_default", "utter_restart"})
# The turn a response without Spanish words gets: the assistant answers that only in English.
ONLY_ENGLISH = "utter_other_language"
MAX_TITLE = 40
# The composition pieces bot.turns asks for, with the placeholders each must have.
PHRASES: Dict[str, Tuple[str, ...]] = {
    "nearest_lead": (),
    "check_in_lead": (),
    "check_in_answer_lead": (),
    "referral_general": (),
    "referral_clinic": ("who", "how"),
    "referral_the_clinic": (),
    "referral_call": ("phone", "dial"),
    "referral_book": ("url",),
    "or": (),
    "and": (),
    "ack_medication": ("what",),
    "ack_your": ("what",),
    "ack_your_medication": (),
    "ack_treatment": ("what",),
    "ack_a_treatment": (),
    "ack_diagnosis": (),
    "ack_coping": (),
    "ack_feelings": (),
    "ack_help_seeking": (),
    "ack_default": (),
    "own_case": (),
    "own_medication": ("names",),
    "own_treatment": ("names",),
    "danger_local": (),
    "danger": ("reach", "numbers"),
}


class SpanishTextsError(ValueError):
    """bot/texts_es.yml has a mistake; the message names its place."""


@dataclass(frozen=True)
class SpanishResponse:
    """One response in Spanish: its text, and its own buttons' titles in the English order."""

    text: str
    buttons: Tuple[str, ...] = ()


@dataclass(frozen=True)
class SpanishTexts:
    """bot/texts_es.yml, checked."""

    responses: Dict[str, SpanishResponse]
    titles: Dict[str, str]
    sections: Dict[str, str]
    source: Dict[str, str]
    # The sections each topic's answer draws on, by key, the main one first (bot/topics.yml).
    topic_sections: Dict[str, Tuple[str, ...]]
    # The pieces a turn is composed of around a response (bot.turns), by key.
    phrases: Dict[str, str] = field(default_factory=dict)

    def source_line(self, topic: str) -> str:
        """A topic's Spanish source line: the article and every section its answer draws on."""
        main, *also = (self.sections[key] for key in self.topic_sections[topic])
        if not also:
            return self.source["one"].format(main=main)
        last = self.source["and"] + also[-1] if len(also) > 1 else also[-1]
        others = ", ".join(also[:-1]) + last
        return self.source["many"].format(main=main, others=others)

    def text(self, response_name: str) -> Optional[str]:
        """The response's Spanish text (an answer's with its source line), or None."""
        spanish = self.responses.get(response_name)
        if spanish is None:
            return None
        if response_name.startswith(ANSWER_PREFIX):
            topic = response_name[len(ANSWER_PREFIX) :]
            return f"{spanish.text}\n\n{self.source_line(topic)}"
        return spanish.text


def _declared_responses(paths: Tuple[Path, ...] = DOMAIN_FILES) -> FrozenSet[str]:
    """Every response name the domain's files declare."""
    names = set(BUILT_IN)
    for path in paths:
        if path.exists():
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            names.update((data.get("responses") or {}).keys())
    return frozenset(names)


def _topic_sections(path: Path = TOPICS_PATH) -> Dict[str, Tuple[str, ...]]:
    catalogue = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {topic: tuple(entry["sections"]) for topic, entry in (catalogue["topics"] or {}).items()}


def _text(value: Any, place: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SpanishTextsError(f"{CONTENT_PATH.name}: {place}: an empty or missing text")
    if "{" in value or "}" in value:
        raise SpanishTextsError(f"{CONTENT_PATH.name}: {place}: no placeholders here")
    return value.strip()


def _mapping(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict) or not value:
        raise SpanishTextsError(f"{CONTENT_PATH.name}: {key}: missing or empty")
    return value


def parse(
    data: Any,
    declared: FrozenSet[str],
    topic_sections: Dict[str, Tuple[str, ...]],
) -> SpanishTexts:
    """Checks the file's contents against the responses the domain declares and the topics."""
    if not isinstance(data, dict):
        raise SpanishTextsError(f"{CONTENT_PATH.name}: not a mapping")
    answers = {ANSWER_PREFIX + topic for topic in topic_sections}
    known = declared | answers
    responses: Dict[str, SpanishResponse] = {}
    for name, entry in _mapping(data, "responses").items():
        place = f"responses.{name}"
        if name not in known:
            raise SpanishTextsError(f"{CONTENT_PATH.name}: {place}: no such response")
        if not isinstance(entry, dict):
            raise SpanishTextsError(f"{CONTENT_PATH.name}: {place}: expected text (and buttons)")
        unknown = set(entry) - {"text", "buttons"}
        if unknown:
            raise SpanishTextsError(f"{CONTENT_PATH.name}: {place}: unknown keys {sorted(unknown)}")
        buttons = entry.get("buttons") or []
        if not isinstance(buttons, list):
            raise SpanishTextsError(f"{CONTENT_PATH.name}: {place}.buttons: a list of titles")
        button_titles = tuple(
            _text(title, f"{place}.buttons[{index}]") for index, title in enumerate(buttons)
        )
        text = _text(entry.get("text"), f"{place}.text")
        responses[str(name)] = SpanishResponse(text, button_titles)
    missing = sorted(answers - set(responses))
    if missing:
        raise SpanishTextsError(f"{CONTENT_PATH.name}: responses: no Spanish for {missing}")
    if ONLY_ENGLISH not in responses:
        raise SpanishTextsError(f"{CONTENT_PATH.name}: responses: no Spanish for {ONLY_ENGLISH}")
    titles: Dict[str, str] = {}
    for topic, title in _mapping(data, "titles").items():
        place = f"titles.{topic}"
        if topic not in topic_sections:
            raise SpanishTextsError(f"{CONTENT_PATH.name}: {place}: no such topic")
        titles[str(topic)] = _text(title, place)
        if len(titles[str(topic)]) > MAX_TITLE:
            raise SpanishTextsError(f"{CONTENT_PATH.name}: {place}: over {MAX_TITLE} characters")
    missing = sorted(set(topic_sections) - set(titles))
    if missing:
        raise SpanishTextsError(f"{CONTENT_PATH.name}: titles: no Spanish for {missing}")
    sections = {
        str(key): _text(value, f"sections.{key}")
        for key, value in _mapping(data, "sections").items()
    }
    used = {key for keys in topic_sections.values() for key in keys}
    missing = sorted(used - set(sections))
    if missing:
        raise SpanishTextsError(f"{CONTENT_PATH.name}: sections: no Spanish for {missing}")
    source = _mapping(data, "source")
    for key, needs in (("one", "{main}"), ("many", "{others}"), ("and", "")):
        value = source.get(key)
        if not isinstance(value, str) or not value or needs not in value:
            raise SpanishTextsError(
                f"{CONTENT_PATH.name}: source.{key}: missing or without {needs}"
            )
    phrases: Dict[str, str] = {}
    given = _mapping(data, "phrases")
    for key, fields in PHRASES.items():
        value = given.get(key)
        place = f"phrases.{key}"
        if not isinstance(value, str) or not value.strip():
            raise SpanishTextsError(f"{CONTENT_PATH.name}: {place}: missing or empty")
        missing_fields = [name for name in fields if "{" + name + "}" not in value]
        if missing_fields:
            raise SpanishTextsError(
                f"{CONTENT_PATH.name}: {place}: without {', '.join(missing_fields)}"
            )
        phrases[key] = value
    unknown_phrases = sorted(set(given) - set(PHRASES))
    if unknown_phrases:
        raise SpanishTextsError(f"{CONTENT_PATH.name}: phrases: unknown {unknown_phrases}")
    return SpanishTexts(
        responses=responses,
        titles=titles,
        sections=sections,
        source={key: str(source[key]) for key in ("one", "many", "and")},
        topic_sections=dict(topic_sections),
        phrases=phrases,
    )


@lru_cache(maxsize=1)
def load() -> SpanishTexts:
    """bot/texts_es.yml, read and checked once."""
    data = yaml.safe_load(CONTENT_PATH.read_text(encoding="utf-8"))
    return parse(data, _declared_responses(), _topic_sections())


def in_spanish(response_name: str, response: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """The response with its Spanish text and its own buttons' Spanish titles (payloads kept),
    or None when there are no Spanish words for it."""
    texts = load()
    text = texts.text(response_name)
    if text is None:
        return None
    translated = {**response, "text": text}
    titles = texts.responses[response_name].buttons
    buttons: List[Dict[str, Any]] = list(response.get("buttons") or [])
    if titles and len(titles) == len(buttons):
        translated["buttons"] = [
            {**button, "title": title} for button, title in zip(buttons, titles, strict=True)
        ]
    return translated


def only_english_text() -> str:
    """What a Spanish message is told when a response has no Spanish words."""
    return load().responses[ONLY_ENGLISH].text


def topic_title(topic: str) -> Optional[str]:
    """A topic's button title in Spanish."""
    return load().titles.get(topic)


def phrase(key: str, **values: str) -> str:
    """A composition piece in Spanish (`phrases` in bot/texts_es.yml), its placeholders filled."""
    return load().phrases[key].format(**values)
