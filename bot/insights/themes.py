"""What a not-covered question is about: side effects and risks, cost and insurance, esketamine,
how many sessions, other treatments, or other.

A small lexical rule file (`themes.yml`) rather than a trained classifier: the themes are few
and named by a handful of words each ("insurance", "spravato", "how often"), the rules can be
read and corrected by anyone at the clinic, and they cost a few tens of microseconds for a
typical question (only not-covered questions are read, on the Rasa server's request path). The
reply does not depend on the theme; only the clinic's insights do, so an imperfect theme costs a
miscount, never a wrong answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, FrozenSet, Iterable, Mapping, Optional, Pattern, Tuple

import yaml

RULES_PATH = Path(__file__).resolve().parent / "themes.yml"
OTHER = "other"
OTHER_LABEL = "Other"
ANY = "*"
# The rules read a message's beginning only: a question names its subject early, and the rules
# cost about half a microsecond per character on the request path (tens of alternatives tried
# at every word).
MAX_CHARS = 300
# The typographic apostrophe a phone keyboard types, read as the plain one.
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'"})


@dataclass(frozen=True)
class Theme:
    name: str
    label: str
    pattern: Optional[Pattern[str]]
    # Entity type -> canonical values that also mean this theme; ANY in a set means any value.
    entities: Mapping[str, FrozenSet[str]]

    def matches(self, text: str, entities: Mapping[str, Tuple[str, ...]]) -> bool:
        for entity, wanted in self.entities.items():
            values = entities.get(entity, ())
            if values and (ANY in wanted or wanted.intersection(values)):
                return True
        return bool(self.pattern and self.pattern.search(text))


def _compile(patterns: Iterable[str]) -> Optional[Pattern[str]]:
    alternatives = [f"(?:{pattern})" for pattern in patterns]
    if not alternatives:
        return None
    return re.compile(r"\b(?:%s)\b" % "|".join(alternatives))


def themes_from(data: Mapping[str, Any]) -> Tuple[Theme, ...]:
    themes = []
    for name, spec in data.items():
        if name == OTHER:
            raise ValueError("'other' is what no rule matches; it takes no rules")
        entities: Dict[str, FrozenSet[str]] = {}
        for entity, values in (spec.get("entities") or {}).items():
            entities[entity] = frozenset([ANY] if values == ANY else (str(v) for v in values))
        themes.append(
            Theme(name, str(spec["label"]), _compile(spec.get("patterns") or ()), entities)
        )
    return tuple(themes)


@lru_cache(maxsize=1)
def load_themes() -> Tuple[Theme, ...]:
    return themes_from(yaml.safe_load(RULES_PATH.read_text(encoding="utf-8")))


def theme_names() -> Tuple[str, ...]:
    return tuple(theme.name for theme in load_themes()) + (OTHER,)


def theme_labels() -> Dict[str, str]:
    return {**{theme.name: theme.label for theme in load_themes()}, OTHER: OTHER_LABEL}


def theme_of(text: str, entities: Optional[Mapping[str, Tuple[str, ...]]] = None) -> str:
    """The first theme whose rules match the message, else `other`."""
    lowered = (text or "")[:MAX_CHARS].lower().translate(_APOSTROPHES)
    for theme in load_themes():
        if theme.matches(lowered, entities or {}):
            return theme.name
    return OTHER
