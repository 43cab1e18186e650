"""The facts recorded about one bot turn, and how they are read from Rasa's tracker events.

Every stored value comes from a closed vocabulary: a turn kind, a topic of the catalogue, a
theme of `themes.yml`, a canonical medication or treatment name of `terms.yml`, a two-letter
region, a clinic name the deployment lists, a channel of two. Anything else (an unknown
entity value, a clinic name a page made up) is dropped or recorded as "other", so nothing a
visitor writes can become a stored value. The hour is the finest time kept.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Dict, FrozenSet, Iterable, Mapping, Optional, Tuple

import yaml

from bot.clinic_answers import intake_topics
from bot.insights.themes import theme_of
from bot.marker import ADVICE, CHECK_IN, KINDS, NOT_COVERED, PLAN_MILESTONES, TurnMarker
from bot.settings import PAGE_KEYS, PROJECT_ROOT, Settings, clean_name, clean_region
from bot.topics import load_topics

TERMS_PATH = PROJECT_ROOT / "bot" / "nlu" / "rules" / "terms.yml"
WIDGET, API = "widget", "api"
CHANNELS = (WIDGET, API)
OTHER_CLINIC = "other"
# The metadata key the widget's chat page sends; any other client counts as the API.
CHANNEL_KEY = "channel"
# The intents whose messages may be answered with a not-covered turn (directly, inside a
# check-in, or as a follow-up the article cannot answer); only their text is read for a theme, at
# once, and never kept.
_THEMED_INTENTS = (
    "not_covered",
    "check_in",
    "ask_how_long",
    "ask_is_it_safe",
    "ask_about_group",
    "ask_why_not",
)
MAX_NAMES = 3
# Page settings remembered per conversation for messages that do not repeat them (API clients
# that send them once): in this process's memory only, for the most recent conversations.
_PAGES_REMEMBERED = 10_000

# Why the REST channel refused a request, as recorded.
REFUSAL_REASONS = ("input", "too_large", "rate_conversation", "rate_client")


@dataclass(frozen=True)
class TurnFact:
    """One bot turn, as the clinic sees it: no text, no conversation id, no finer time."""

    hour: datetime  # UTC, truncated to the hour
    kind: str
    answer_kind: Optional[str] = None  # a check-in's answer: answer, advice, not_covered
    topic: Optional[str] = None
    crisis_resources: bool = False
    medications: Optional[str] = None  # canonical names, comma-separated, sorted
    treatments: Optional[str] = None
    theme: Optional[str] = None
    region: str = "US"
    clinic: Optional[str] = None
    first_turn: bool = False
    channel: str = API
    unavailable: bool = False
    # What the turn did with a safety plan: offered, started or finished. Never its contents.
    safety_plan: Optional[str] = None

    def as_row(self) -> Dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class RefusalFact:
    hour: datetime
    reason: str

    def as_row(self) -> Dict[str, Any]:
        return dict(self.__dict__)


def hour_of(timestamp: Optional[float]) -> datetime:
    """The UTC hour a timestamp falls in, as a naive datetime (both databases store it so)."""
    moment = (
        datetime.fromtimestamp(timestamp, timezone.utc)
        if isinstance(timestamp, (int, float))
        else datetime.now(timezone.utc)
    )
    return moment.replace(minute=0, second=0, microsecond=0, tzinfo=None)


@lru_cache(maxsize=1)
def canonical_terms() -> Dict[str, FrozenSet[str]]:
    """The canonical medication and treatment names: the only entity values recorded."""
    data = yaml.safe_load(TERMS_PATH.read_text(encoding="utf-8")) or {}
    return {label: frozenset(str(name) for name in names or {}) for label, names in data.items()}


@lru_cache(maxsize=1)
def known_topics() -> FrozenSet[str]:
    """The article's topics and the clinic's intake topics: the only topics recorded."""
    return frozenset(load_topics()) | frozenset(intake_topics())


@dataclass(frozen=True)
class PageFacts:
    region: Optional[str] = None
    clinic_name: Optional[str] = None


@dataclass(frozen=True)
class UserFacts:
    """What a turn's facts need from the user's message; its text is not among them."""

    medications: Tuple[str, ...] = ()
    treatments: Tuple[str, ...] = ()
    theme: Optional[str] = None
    channel: str = API


def _entity_values(parse: Mapping[str, Any], entity: str) -> Tuple[str, ...]:
    allowed = canonical_terms().get(entity, frozenset())
    values = {
        str(found.get("value"))
        for found in parse.get("entities") or ()
        if isinstance(found, Mapping) and found.get("entity") == entity
    }
    return tuple(sorted(values & allowed))


def channel_of(metadata: Any) -> str:
    return WIDGET if isinstance(metadata, Mapping) and metadata.get(CHANNEL_KEY) == WIDGET else API


def page_facts(metadata: Any) -> Optional[PageFacts]:
    """The page settings a message carried, validated quietly (the response generator has
    already warned about invalid ones), or None when it carried none."""
    if not isinstance(metadata, Mapping) or not any(key in metadata for key in PAGE_KEYS):
        return None
    region, _ = clean_region(metadata.get("region"))
    name, _ = clean_name(metadata.get("clinic_name"))
    return PageFacts(region=region, clinic_name=name)


def user_facts(body: Mapping[str, Any]) -> UserFacts:
    parse = body.get("parse_data") or {}
    if not isinstance(parse, Mapping):
        parse = {}
    medications = _entity_values(parse, "medication")
    treatments = _entity_values(parse, "treatment")
    theme = None
    intent = parse.get("intent")
    intent = intent.get("name") if isinstance(intent, Mapping) else None
    if intent in _THEMED_INTENTS:
        # The text is read here, once, and only the theme's name is kept.
        theme = theme_of(
            str(body.get("text") or ""), {"medication": medications, "treatment": treatments}
        )
    return UserFacts(medications, treatments, theme, channel_of(body.get("metadata")))


def recorded_clinic(name: Optional[str], settings: Settings) -> Optional[str]:
    """A clinic name the deployment knows, "other" for any other, None for none."""
    if not name:
        return None
    if name == settings.contact.name or name in settings.insights_clinics:
        return name
    return OTHER_CLINIC


def _joined(names: Iterable[str]) -> Optional[str]:
    unique = sorted(set(names))[:MAX_NAMES]
    return ",".join(unique) or None


def turn_fact(
    marker: TurnMarker,
    timestamp: Optional[float],
    user: Optional[UserFacts],
    page: Optional[PageFacts],
    settings: Settings,
    first_turn: bool,
    unavailable: bool = False,
) -> Optional[TurnFact]:
    """The facts of a turn from its marker; None for a marker of no known kind."""
    kind = marker.kind
    if kind not in KINDS:
        return None
    answer_kind = marker.answer_kind if kind == CHECK_IN else None
    if answer_kind not in KINDS:
        answer_kind = None
    topic = marker.topic
    user = user or UserFacts()
    for_themselves = ADVICE in (kind, answer_kind)
    not_covered = NOT_COVERED in (kind, answer_kind)
    page = page or PageFacts()
    return TurnFact(
        hour=hour_of(timestamp),
        kind=kind,
        answer_kind=answer_kind,
        topic=topic if topic in known_topics() else None,
        crisis_resources=marker.crisis_resources,
        medications=_joined(user.medications) if for_themselves else None,
        treatments=_joined(user.treatments) if for_themselves else None,
        theme=(user.theme or "other") if not_covered else None,
        region=page.region or settings.crisis_region,
        clinic=recorded_clinic(page.clinic_name or settings.contact.name, settings),
        first_turn=first_turn,
        channel=user.channel,
        unavailable=unavailable,
        safety_plan=marker.safety_plan if marker.safety_plan in PLAN_MILESTONES else None,
    )


class FactExtractor:
    """Turns the stream of tracker events into turn facts.

    Rasa publishes a turn's new events one after another without yielding in between (the
    tracker store's `stream_events`), so the message and the bot turns answering it arrive
    together: the extractor keeps only the latest message's facts and whether a session has
    just begun, and starts afresh when the conversation changes.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._sender: Optional[str] = None
        self._user: Optional[UserFacts] = None
        self._session_new = False
        self._pages: "OrderedDict[str, PageFacts]" = OrderedDict()

    def feed(self, body: Mapping[str, Any]) -> Optional[TurnFact]:
        event = body.get("event")
        if event not in ("user", "bot", "session_started", "restart"):
            return None
        sender = body.get("sender_id")
        if sender != self._sender:
            self._sender, self._user, self._session_new = sender, None, False
        if event == "user":
            self._user = user_facts(body)
            page = page_facts(body.get("metadata"))
            if page is not None and isinstance(sender, str):
                self._remember(sender, page)
            return None
        if event in ("session_started", "restart"):
            self._session_new = True
            if isinstance(sender, str):
                self._pages.pop(sender, None)
            return None
        marker = TurnMarker.from_event_dict(body)
        if marker is None:
            return None
        page = self._pages.get(sender) if isinstance(sender, str) else None
        fact = turn_fact(
            marker, body.get("timestamp"), self._user, page, self.settings, self._session_new
        )
        if fact is not None:
            self._session_new = False
        return fact

    def _remember(self, sender: str, page: PageFacts) -> None:
        self._pages[sender] = page
        self._pages.move_to_end(sender)
        while len(self._pages) > _PAGES_REMEMBERED:
            self._pages.popitem(last=False)
