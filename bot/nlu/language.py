"""A message in another language gets a turn it can read, and a crisis in Spanish is a crisis.

The English NLU and crisis rules only read English: a Spanish "quiero morir, ya no aguanto más"
used to get the out-of-scope menu and no crisis line. (A Spanish message this component gives the
language turn is then read by `bot.nlu.spanish_topics`, which answers it in Spanish when it can.)
This component runs after the crisis guard and the personal-message router, before the
FallbackClassifier, and:

- leaves a message alone unless it is confidently in another language (`LanguageDetector`);
- makes a Spanish message that the Spanish crisis rules (`bot/nlu/rules/crisis_es.yml`) match a
  crisis turn, and adds the categories to the crisis guard's verdict;
- gives any other message in another language the intent `other_language`, whose turn says, in
  Spanish for Spanish, that the assistant answers only in English and a professional can help,
  with the region's crisis lines; a crisis the guard found stays a crisis;
- writes the language (ISO 639-1, "en" when English or too short to tell) into the parse data
  under `language`; the turn's marker carries it when it is not English.

Detection is offline: py3langid's model ships in its wheel. Short messages are where language
identifiers fail ("ok", "bdnf?" look like anything), so a message is another language only when
it is long enough, the identifier finds English unlikely, and most of its words are not English
words (spaCy's English lexicon from spacy-lookups-data, plus `bot/nlu/rules/english.yml`).
"""

from __future__ import annotations

import gzip
import importlib
import json
import re
import unicodedata
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Optional, Sequence, Text, Tuple

import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.verdict import CHECK_IN, CRISIS, CrisisVerdict
from bot.payload import is_payload

LANGUAGE_KEY = "language"
OTHER_LANGUAGE_INTENT = "other_language"
ENGLISH = "en"
SPANISH = "es"
# Another language, but not which one (a script the identifier knows no language for).
UNDETERMINED = "und"
RULES_DIR = Path(__file__).with_name("rules")
SPANISH_CRISIS_RULES = RULES_DIR / "crisis_es.yml"
ENGLISH_WORDS = RULES_DIR / "english.yml"
# What the identifier may answer: the languages a clinic's visitors most likely write in. Left
# out are close neighbours that would split a language's votes on short messages (Catalan,
# Galician, Occitan and Aragonese against Spanish).
LANGUAGES = (
    "en es fr de it pt nl pl ro cs sk hu sv da no fi el tr ru uk bg sr hr ar he fa ur hi bn pa "
    "ta te gu zh ja ko vi th id ms tl sw am"
).split()
_NOT_WORDS = re.compile(r"https?://\S+|www\.\S+|\S+@\S+|[@#]\w+")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_CLAUSE = re.compile(r"[,.;:!?¿¡\n]+")


@dataclass(frozen=True)
class Detection:
    """What the detector concluded about one message, and why (for tests and evaluation)."""

    language: str
    reason: str

    @property
    def is_english(self) -> bool:
        return self.language == ENGLISH


class LanguageDetector:
    """English unless a message is confidently in another language."""

    def __init__(
        self,
        min_letters: int = 12,
        max_english_probability: float = 0.05,
        max_english_share: float = 0.5,
    ) -> None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        self._identifier = LanguageIdentifier.from_pickled_model(MODEL_FILE, norm_probs=True)
        self._identifier.set_languages(LANGUAGES)
        self._min_letters = min_letters
        self._max_english_probability = max_english_probability
        self._max_english_share = max_english_share
        self._english = english_lexicon()

    def detect(self, text: str) -> Detection:
        if is_payload(text):
            return Detection(ENGLISH, "payload")
        words = _WORD.findall(_NOT_WORDS.sub(" ", text))
        letters = sum(len(word) for word in words)
        if not letters:
            return Detection(ENGLISH, "no words")
        other_script = sum(not _latin(ch) for word in words for ch in word)
        ranking = [(str(lang), float(p)) for lang, p in self._identifier.rank(" ".join(words))]
        if other_script * 2 > letters and other_script >= 2:
            # Not the Latin alphabet: not English, whatever the length.
            best = next((lang for lang, _ in ranking if lang != ENGLISH), UNDETERMINED)
            return Detection(best, "script")
        if letters < self._min_letters or len(words) < 2:
            return Detection(ENGLISH, "too short to tell")
        english_probability = dict(ranking).get(ENGLISH, 0.0)
        if ranking[0][0] == ENGLISH or english_probability > self._max_english_probability:
            return Detection(ENGLISH, "identifier")
        share = self.english_share(words)
        if share is None or share >= self._max_english_share:
            return Detection(ENGLISH, "english words")
        language, common_words = _most_likely(ranking, words)
        if not common_words:
            # No word of that language's everyday vocabulary: more likely English with typos
            # ("treatment resistent depresion") than a sentence in another language.
            return Detection(ENGLISH, "no common words of another language")
        return Detection(language, "identifier and words")

    def english_share(self, words: Sequence[str]) -> Optional[float]:
        """The share of the longer words that are English; None when there are none. Words of
        one or two letters ("no", "me", "a") belong to too many languages to count."""
        longer = [word.lower().replace("’", "'") for word in words if len(word) > 2]
        if not longer:
            return None
        return sum(word in self._english for word in longer) / len(longer)


def _latin(ch: str) -> bool:
    return "LATIN" in unicodedata.name(ch, "")


def _most_likely(ranking: Sequence[Tuple[str, float]], words: Sequence[str]) -> Tuple[str, int]:
    """Of the identifier's likeliest languages, the one whose common words the message uses
    most, and how many it uses: on a short message the identifier often confuses neighbours
    ("O que é a terapia com cetamina?" as French)."""
    candidates = [(lang, p) for lang, p in ranking[:5] if lang != ENGLISH]
    lowered = [word.lower() for word in words]

    def evidence(candidate: Tuple[str, float]) -> Tuple[int, float]:
        common = stop_words(candidate[0])
        return sum(word in common for word in lowered), candidate[1]

    best = max(candidates, key=evidence)
    return best[0], evidence(best)[0]


@lru_cache(maxsize=None)
def stop_words(language: str) -> FrozenSet[str]:
    """spaCy's list of a language's most common words; empty where spaCy has none."""
    try:
        module = importlib.import_module(f"spacy.lang.{language}.stop_words")
    except ImportError:
        return frozenset()
    return frozenset(getattr(module, "STOP_WORDS", ()))


@lru_cache(maxsize=1)
def english_lexicon() -> FrozenSet[str]:
    """English word forms: spaCy's English lemma tables and stop words, and the project's list."""
    import spacy_lookups_data
    from spacy.lang.en.stop_words import STOP_WORDS

    data = Path(spacy_lookups_data.__file__).parent / "data"
    words = set(STOP_WORDS)
    with gzip.open(data / "en_lemma_lookup.json.gz", "rt", encoding="utf-8") as lookup:
        for form, lemma in json.load(lookup).items():
            words.update((form.lower(), lemma.lower()))
    with gzip.open(data / "en_lemma_index.json.gz", "rt", encoding="utf-8") as index:
        for lemmas in json.load(index).values():
            words.update(lemma.lower() for lemma in lemmas)
    listed = yaml.safe_load(ENGLISH_WORDS.read_text(encoding="utf-8"))["words"]
    if not all(isinstance(word, str) for word in listed):
        raise ValueError(f"{ENGLISH_WORDS}: every word must be a string (quote yes, no, on, off)")
    words.update(word.lower() for word in listed)
    return frozenset(words)


@dataclass(frozen=True)
class SpanishCrisisRules:
    """The Spanish crisis rules of `bot/nlu/rules/crisis_es.yml`, compiled."""

    rules: Tuple[Tuple[str, "re.Pattern[str]"], ...]
    negations: FrozenSet[str]
    window: int

    @classmethod
    def load(cls, path: Path = SPANISH_CRISIS_RULES) -> SpanishCrisisRules:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        words = [*data["negations"], *(p for ps in data["rules"].values() for p in ps)]
        if not all(isinstance(word, str) for word in words):
            raise ValueError(f"{path}: quote every negation and rule (YAML reads no as false)")
        rules = tuple(
            (category, re.compile(rf"\b(?:{pattern})\b"))
            for category, patterns in data["rules"].items()
            for pattern in patterns
        )
        return cls(rules, frozenset(data["negations"]), int(data["negation_window"]))

    def categories(self, text: str) -> Tuple[str, ...]:
        """The categories whose rules match the message, in the file's order."""
        found: List[str] = []
        for clause in _CLAUSE.split(_plain(text)):
            clause = " ".join(clause.split())
            for category, pattern in self.rules:
                if category in found:
                    continue
                for match in pattern.finditer(clause):
                    before = clause[: match.start()].split()[-self.window :]
                    if not self.negations.intersection(before):
                        found.append(category)
                        break
        return tuple(found)


def _plain(text: str) -> str:
    """Lower case without accents ("Tomé" is "tome"); the ñ stays an n, as people type it."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=1)
def spanish_crisis_rules() -> SpanishCrisisRules:
    return SpanishCrisisRules.load()


@lru_cache(maxsize=None)
def detector_for(
    min_letters: int = 12, max_english_probability: float = 0.05, max_english_share: float = 0.5
) -> LanguageDetector:
    """One detector per setting in a process: the NLU and the REST channel share it."""
    return LanguageDetector(min_letters, max_english_probability, max_english_share)


def default_detector() -> LanguageDetector:
    return detector_for()


@dataclass(frozen=True)
class LanguageVerdict:
    """A message's language, and the Spanish crisis categories when they count."""

    language: str
    crisis_categories: Tuple[str, ...] = ()


def judge(
    text: str,
    detector: Optional[LanguageDetector] = None,
    rules: Optional[SpanishCrisisRules] = None,
) -> LanguageVerdict:
    """The language of a message, and whether the Spanish crisis rules make it a crisis.

    The rules count for a message in another language, and for one too short for the detector
    whose longer words are still mostly not English ("me quiero matar"): their words are Spanish,
    so they cannot fire on an English message."""
    detector = detector or default_detector()
    rules = rules or spanish_crisis_rules()
    detection = detector.detect(text)
    categories = rules.categories(text)
    if not categories:
        return LanguageVerdict(detection.language)
    if not detection.is_english:
        return LanguageVerdict(detection.language, categories)
    share = detector.english_share(_WORD.findall(text))
    if detection.reason != "payload" and (share is None or share < 0.5):
        return LanguageVerdict(SPANISH, categories)
    return LanguageVerdict(ENGLISH)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class LanguageRouter(GraphComponent):
    """Routes a message in another language to its own turn, and a Spanish crisis to crisis."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # Fewer letters than this, and the message is English: identifiers guess on less.
            "min_letters": 12,
            # The identifier's probability of English above which a message is English.
            "max_english_probability": 0.05,
            # A message whose longer words are at least this share English is English.
            "max_english_share": 0.5,
        }

    def __init__(self, config: Dict[Text, Any]) -> None:
        self._detector = detector_for(
            min_letters=int(config["min_letters"]),
            max_english_probability=float(config["max_english_probability"]),
            max_english_share=float(config["max_english_share"]),
        )
        self._rules = spanish_crisis_rules()

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageRouter:
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            verdict = judge(message.get(TEXT) or "", self._detector, self._rules)
            if verdict.crisis_categories:
                _make_crisis(message, verdict.crisis_categories)
            elif verdict.language != ENGLISH:
                decided = (message.get(INTENT) or {}).get("name")
                if decided != CRISIS:
                    _set_intent(message, OTHER_LANGUAGE_INTENT)
            message.set(LANGUAGE_KEY, verdict.language, add_to_output=True)
        return messages


def _set_intent(message: Message, name: str) -> None:
    # Full confidence: the decision is made, and no fallback threshold may undo it. A check-in
    # gives way: the language turn carries the crisis lines in any case.
    decided = {"name": name, "confidence": 1.0}
    ranking = [
        entry
        for entry in message.get(INTENT_RANKING_KEY) or []
        if entry.get("name") not in (name, CRISIS, CHECK_IN, OTHER_LANGUAGE_INTENT)
    ]
    message.set(INTENT, decided, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [decided, *ranking], add_to_output=True)


def _make_crisis(message: Message, categories: Sequence[str]) -> None:
    if (message.get(INTENT) or {}).get("name") != CRISIS:
        _set_intent(message, CRISIS)
    verdict = CrisisVerdict.from_message(message)
    rules = tuple(dict.fromkeys((*verdict.rules, *categories)))
    reason = verdict.reason if verdict.is_crisis else "spanish_rule"
    replace(verdict, decision=CRISIS, rules=rules, reason=reason).write_to(message)
