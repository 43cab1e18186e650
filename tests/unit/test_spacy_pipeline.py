"""The anchored rule matchers find exactly what one plain Matcher over all rules finds."""

from __future__ import annotations

from typing import Iterator, List

import pytest
import spacy
import yaml
from spacy.matcher import Matcher

from bot.nlu.spacy_pipeline import AnchoredMatcher, anchor_of, build_pipeline

from conftest import ROOT


def _examples(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "examples" and isinstance(value, str):
                for line in value.splitlines():
                    line = line.strip()
                    if line.startswith("- "):
                        yield line[2:]
            else:
                yield from _examples(value)
    elif isinstance(node, list):
        for item in node:
            yield from _examples(item)


def all_texts() -> List[str]:
    """Every example of the training data and of the project's own evaluation sets."""
    paths = [
        *sorted((ROOT / "data" / "nlu").glob("*.yml")),
        *sorted((ROOT / "tests").glob("*.yml")),
    ]
    texts = [
        text
        for path in paths
        for text in _examples(yaml.safe_load(path.read_text(encoding="utf-8")))
    ]
    return sorted(set(texts))


@pytest.fixture(scope="module")
def nlp() -> spacy.language.Language:
    return build_pipeline()


def test_the_data_is_there() -> None:
    assert len(all_texts()) > 3000


@pytest.mark.parametrize("component", ["crisis_matcher", "personal_matcher"])
def test_anchored_matches_equal_one_matcher_over_all_rules(
    nlp: spacy.language.Language, component: str
) -> None:
    anchored = nlp.get_pipe(component)._matcher
    assert isinstance(anchored, AnchoredMatcher)
    plain = Matcher(nlp.vocab)
    for key, pattern in anchored.patterns():
        plain.add(key, [pattern])
    differing = []
    matched = 0
    for doc in nlp.pipe(all_texts()):
        ours, theirs = anchored(doc), plain(doc)
        matched += bool(theirs)
        if ours != sorted(set(theirs), key=lambda m: (m[1], m[2], m[0])):
            differing.append(doc.text)
    assert not differing, differing[:5]
    # the comparison means something only if the rules match often
    assert matched > 500


def test_most_rules_are_anchored(nlp: spacy.language.Language) -> None:
    rules = nlp.get_pipe("crisis_matcher")._matcher.patterns()
    anchored = sum(anchor_of(pattern) is not None for _, pattern in rules)
    assert anchored / len(rules) > 0.8


def test_an_anchor_is_a_word_every_match_needs() -> None:
    pattern = [
        {"LEMMA": {"IN": ["i"]}},
        {"OP": "?"},
        {"LEMMA": {"IN": ["overdose", "od"]}},
        {"LOWER": {"IN": ["tonight", "today", "now"]}, "OP": "?"},
    ]
    assert anchor_of(pattern) == ("LEMMA", ("od", "overdose"))
    assert anchor_of([{"LEMMA": {"IN": ["i"]}}, {"LEMMA": {"IN": ["am", "be"]}}]) is None
