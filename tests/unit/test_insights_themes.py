"""The not-covered theme rules (bot/insights/themes.yml) on questions written for this test."""

from __future__ import annotations

from typing import Dict, List

import pytest
import yaml

from bot.insights.themes import OTHER, Theme, theme_names, theme_of, themes_from

from conftest import ROOT

EXAMPLES: Dict[str, List[str]] = yaml.safe_load(
    (ROOT / "tests" / "insights_themes.yml").read_text(encoding="utf-8")
)
# What the rules call the medications and treatments these questions name (the parse result's
# canonical entity values), as the NLU would report them.
ENTITIES = {
    "lexapro": {"medication": ("escitalopram",)},
    "spravato": {"treatment": ("esketamine",)},
    "emdr": {"treatment": ("psychotherapy",)},
    "tms": {"treatment": ("tms",)},
}


def entities_for(text: str) -> Dict[str, tuple]:
    found: Dict[str, tuple] = {}
    for word, entities in ENTITIES.items():
        if word in text:
            for label, values in entities.items():
                found[label] = found.get(label, ()) + values
    return found


def test_every_theme_has_examples() -> None:
    assert set(EXAMPLES) == set(theme_names())
    assert all(len(texts) >= 8 for texts in EXAMPLES.values())


@pytest.mark.parametrize(
    "theme,text", [(theme, text) for theme, texts in EXAMPLES.items() for text in texts]
)
def test_each_example_gets_its_theme(theme: str, text: str) -> None:
    assert theme_of(text, entities_for(text)) == theme


def test_an_entity_alone_names_a_theme() -> None:
    assert theme_of("tell me about it", {"treatment": ("esketamine",)}) == "esketamine"
    assert theme_of("tell me about it", {"medication": ("bupropion",)}) == "other_treatments"
    assert theme_of("tell me about it", {}) == OTHER


def test_the_first_theme_in_the_file_wins() -> None:
    assert theme_of("does insurance cover spravato", entities_for("spravato")) == "cost"
    assert theme_of("what are the side effects of tms", entities_for("tms")) == "side_effects"


def test_curly_apostrophes_and_capitals_read_the_same() -> None:
    assert theme_of("What’s The PRICE?") == "cost"
    assert theme_of("is st john’s wort an option") == "other_treatments"


def test_other_takes_no_rules() -> None:
    with pytest.raises(ValueError):
        themes_from({"other": {"label": "x", "patterns": ["y"]}})
    (only,) = themes_from({"cost": {"label": "Cost", "patterns": ["price"]}})
    assert isinstance(only, Theme) and only.matches("the price", {})
    assert not only.matches("the priceless", {})
