"""Readability of the article answers: a Flesch-Kincaid grade level of at most 8 for each.

The grade is 0.39 * (words / sentences) + 11.8 * (syllables / words) - 15.59, computed here with a
small syllable counter of our own (no new dependency), on the answer as the reader sees it: the
markdown, links and the "_Source: ..._" line stripped. Sentences end at ".", "!" or "?" and at a
line break (a list item or a paragraph is read as its own sentence); words are runs of letters
and digits, so a hyphenated word counts as its parts.

The article's terms that the answers explain in plain words are listed in
`bot/readability_terms.yml`, each with the explanation it gets. In an answer that explains a term
(one of the term's cues is in the answer), each word of the term counts as a word of one syllable:
the reader meets it with its explanation, so its length is not what makes the answer hard. In an
answer that uses a term without explaining it, the term counts in full. The first answer to use a
term (in the order of bot/topics.yml) must explain it.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
import yaml

from bot.topics import load_topics

ROOT = Path(__file__).resolve().parents[2]
FAQ = ROOT / "data" / "responses" / "faq.yml"
TERMS = ROOT / "bot" / "readability_terms.yml"
MAX_GRADE = 8.0

# Words the vowel-group rule below gets wrong, by their syllable count.
SYLLABLE_EXCEPTIONS = {
    "being": 2,
    "people": 2,
    "every": 2,
    "everyday": 3,
    "business": 2,
    "area": 3,
    "areas": 3,
    "idea": 3,
    "ideas": 3,
    "create": 2,
    "created": 3,
    "creates": 2,
    "science": 2,
    "quiet": 2,
    "quiets": 2,
    "quieter": 3,
    "quieting": 3,
    "react": 2,
    "reaction": 3,
    "whether": 2,
    "toward": 2,
    "one": 1,
    "once": 1,
    "someone": 2,
    "anyone": 3,
    "everyone": 3,
    "doesn't": 2,
    "isn't": 2,
    "aren't": 1,
    "wasn't": 2,
    "didn't": 2,
    "hasn't": 2,
    "couldn't": 2,
    "wouldn't": 2,
    "shouldn't": 2,
    "i'm": 1,
    "i'd": 1,
    "you're": 1,
    "they're": 1,
    "we're": 1,
    "naturally": 4,
    "usually": 4,
    "actually": 4,
    "really": 2,
    "serious": 3,
    "period": 3,
    "previous": 3,
    "various": 3,
    "via": 2,
    "lifelong": 2,
    "likely": 2,
    "lonely": 2,
    "sometimes": 2,
    "somewhere": 2,
    "themselves": 2,
    "yourself": 2,
    "ourselves": 3,
    "whole": 1,
    "whose": 1,
    "those": 1,
    "these": 1,
    "there": 1,
    "where": 1,
    "here": 1,
    "were": 1,
    "are": 1,
    "more": 1,
    "before": 2,
    "therefore": 2,
    "somewhat": 2,
    "able": 2,
    "unable": 3,
}


def syllables(word: str) -> int:
    """The syllables of an English word, by vowel groups with the usual corrections."""
    word = word.lower().strip("'")
    if not word:
        return 0
    if word.isdigit():
        return 1
    if word in SYLLABLE_EXCEPTIONS:
        return SYLLABLE_EXCEPTIONS[word]
    if word.endswith("'s"):
        return syllables(word[:-2])
    word = word.replace("'", "")
    if len(word) <= 3:
        return 1
    count = len(re.findall(r"[aeiouy]+", word))
    # A silent final "e" ("make", "stone"), but not "-le" after a consonant ("table", "little").
    if word.endswith("e") and not re.search(r"[^aeiouy]le$", word) and not word.endswith("ee"):
        count -= 1
    # "-ed" is silent except after "t" or "d" ("helped" one, "wanted" two).
    elif word.endswith("ed") and not re.search(r"[td]ed$", word):
        count -= 1
    # "-es" is silent except after a sibilant ("makes" one, "causes", "boxes", "changes" two).
    elif word.endswith("es") and not re.search(r"(s|x|z|ch|sh|c|g)es$", word):
        count -= 1
    # Vowel pairs said as two syllables: "ia" ("media"), "io" ("period"), "eo" ("video"),
    # "ua" ("usual"), "uo", "iu", but not "-tion", "-sion", "-cial", "-cious", "-gious".
    count += len(re.findall(r"(?<![tsc])i[aou]|(?<![gq])u[ao]|(?<![gq])eo|iu", word))
    count += len(re.findall(r"[^aeiou]ism$|[aeiou]y[aeiou]", word))
    return max(1, count)


@lru_cache(maxsize=1)
def load_terms() -> Dict[str, Tuple[str, ...]]:
    """The explained terms, each with its cues: words that show an answer explains it."""
    data = yaml.safe_load(TERMS.read_text(encoding="utf-8"))
    return {str(item["term"]): tuple(item["cues"]) for item in data["explained"]}


def pattern(term: str) -> re.Pattern[str]:
    """The term in a text, singular or plural ("SSRI", "SSRIs"), its words apart or hyphenated."""
    parts = [re.escape(w) for w in words(term)]
    parts[-1] = parts[-1].removesuffix("s") + "s?"
    return re.compile(r"\b" + r"[\s-]+".join(parts) + r"\b", re.I)


def uses(text: str, term: str) -> bool:
    return pattern(term).search(as_read(text)) is not None


def explains(text: str, term: str) -> bool:
    said = " ".join(as_read(text).lower().replace("’", "'").split())
    return any(cue.lower() in said for cue in load_terms()[term])


def with_terms_plain(text: str) -> str:
    """The answer with each word of every term it explains read as a word of one syllable."""
    text = as_read(text)
    for term in sorted(load_terms(), key=len, reverse=True):
        if uses(text, term) and explains(text, term):
            text = pattern(term).sub(lambda found: " ".join("x" for _ in words(found[0])), text)
    return text


def as_read(text: str) -> str:
    """The answer as the reader sees it: no source line, markdown or link targets."""
    text = re.sub(r"^_Source:.*$", "", text, flags=re.M)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[*_`#>]", "", text)
    return re.sub(r"^\s*(?:[-+]|\d+\.)\s+", "", text, flags=re.M)


def sentences(text: str) -> List[str]:
    parts = re.split(r"(?<=[.!?])[\"”’')]*\s+|\n+", as_read(text))
    return [part for part in parts if words(part)]


def words(text: str) -> List[str]:
    return [
        w.lower() for w in re.findall(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?", text.replace("’", "'"))
    ]


def grade(text: str) -> float:
    """The Flesch-Kincaid grade level."""
    said = sentences(text)
    counted = [w for sentence in said for w in words(sentence)]
    total = sum(syllables(w) for w in counted)
    return 0.39 * len(counted) / len(said) + 11.8 * total / len(counted) - 15.59


def article_answers() -> Dict[str, str]:
    responses = yaml.safe_load(FAQ.read_text(encoding="utf-8"))["responses"]
    return {
        name.split("/", 1)[1]: variations[0]["text"]
        for name, variations in responses.items()
        if name.startswith("utter_faq/")
    }


def grades() -> Dict[str, float]:
    return {
        topic: round(grade(with_terms_plain(text)), 1) for topic, text in article_answers().items()
    }


@pytest.mark.parametrize(
    ("word", "count"),
    [
        ("the", 1),
        ("brain", 1),
        ("makes", 1),
        ("helped", 1),
        ("wanted", 2),
        ("causes", 2),
        ("table", 2),
        ("people", 2),
        ("period", 3),
        ("serotonin", 4),
        ("depression", 3),
        ("ketamine", 3),
        ("relief", 2),
        ("emotional", 4),
        ("integration", 4),
        ("professional", 4),
        ("neurodivergent", 5),
        ("usually", 4),
        ("isn't", 2),
        ("medication", 4),
        ("30", 1),
    ],
)
def test_the_syllable_counter_counts_common_words_right(word: str, count: int) -> None:
    assert syllables(word) == count


def test_the_grade_is_the_flesch_kincaid_formula() -> None:
    # 2 sentences, 8 words, 10 syllables: 0.39 * 4 + 11.8 * 1.25 - 15.59 = 0.72.
    assert round(grade("The cat sat down. It was happy today."), 2) == 0.72
    # Source lines, markdown and link targets are not read.
    text = "The **cat** sat [down](https://example.org/a-long-address).\n\n_Source: the article._"
    assert grade(text) == grade("The cat sat down.")


def test_every_article_answer_reads_at_grade_8_or_below() -> None:
    too_hard = {topic: level for topic, level in grades().items() if level > MAX_GRADE}
    assert too_hard == {}


def test_every_listed_term_is_explained_where_it_first_appears() -> None:
    texts = article_answers()
    order = [topic for topic in load_topics() if topic in texts]
    unexplained = []
    for term in load_terms():
        first = next((topic for topic in order if uses(texts[topic], term)), None)
        assert first is not None, f"{term} is in no answer: drop it from the list"
        if not explains(texts[first], term):
            unexplained.append((term, first))
    assert unexplained == []


def test_each_terms_cues_are_words_of_its_explanation() -> None:
    data = yaml.safe_load(TERMS.read_text(encoding="utf-8"))["explained"]
    assert len(data) == len(load_terms())
    for item in data:
        assert item["cues"][0] in item["explanation"], item["term"]


def test_a_term_reads_as_plain_only_where_the_answer_explains_it() -> None:
    assert with_terms_plain("Rumination softens.") == "Rumination softens."
    explained = with_terms_plain("Rumination (dwelling on the same thoughts) softens.")
    assert explained == "x (dwelling on the same thoughts) softens."
    assert with_terms_plain("SSRIs, the most common kind of antidepressant.").startswith("x,")
