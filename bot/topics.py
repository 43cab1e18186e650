"""The topic catalogue in `bot/topics.yml`: button titles, source sections, follow-ups."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml

from bot.payload import payload_for

TOPICS_PATH = Path(__file__).with_name("topics.yml")
RETRIEVAL_INTENT = "faq"
ANSWER_PREFIX = f"utter_{RETRIEVAL_INTENT}/"
# The entry points offered whenever the assistant shows its menu.
MENU = (
    "depression_overview",
    "ssri_nonresponse",
    "trauma",
    "ketamine_overview",
    "ketamine_mechanism",
    "integration",
)


@dataclass(frozen=True)
class Topic:
    """One curated answer and where it leads."""

    id: str
    title: str
    # The article's sections the answer draws on, by what each is about, the main one first.
    sections: Tuple[str, ...]
    related: Tuple[str, ...]
    deeper: str

    @property
    def response(self) -> str:
        return ANSWER_PREFIX + self.id

    @property
    def source(self) -> str:
        """The answer's source line: the article and every section it draws on, unquoted (the
        article's headings were lost from the text we have)."""
        main, *also = self.sections
        if not also:
            return f"_Source: the article, {main}._"
        others = ", ".join(also[:-1]) + (" and " if len(also) > 1 else "") + also[-1]
        return f"_Source: the article, {main}; also {others}._"

    @property
    def payload(self) -> str:
        """What a button sends: resolved exactly by the NLU, whatever the classifier thinks."""
        return payload_for(RETRIEVAL_INTENT, self.id)


@lru_cache(maxsize=1)
def load_topics() -> Dict[str, Topic]:
    """All topics by ID, in catalogue order."""
    catalogue = yaml.safe_load(TOPICS_PATH.read_text(encoding="utf-8"))
    sections, raw = catalogue["sections"], catalogue["topics"]
    return {
        topic_id: Topic(
            id=topic_id,
            title=entry["title"],
            sections=tuple(sections[section] for section in entry["sections"]),
            related=tuple(entry["related"]),
            deeper=entry["deeper"],
        )
        for topic_id, entry in raw.items()
    }


def topic_of_response(response_name: str) -> Optional[str]:
    """The topic ID an `utter_faq/<topic>` response answers, else None."""
    if response_name.startswith(ANSWER_PREFIX):
        return response_name[len(ANSWER_PREFIX) :]
    return None


def buttons_for(topic_ids: List[str]) -> List[Dict[str, str]]:
    topics = load_topics()
    return [
        {"title": topics[t].title, "payload": topics[t].payload} for t in topic_ids if t in topics
    ]
