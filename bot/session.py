"""Questions about a conversation's current session, answered in one place.

The response generator (`bot.nlg`) asks them to word a turn; the bounded tracker stores
(`bot.tracker_store`) ask them to decide which events to keep in view when a long conversation
is cut to a window. Both must get the same answers, or the store would keep something other
than what the reply reads.
"""

from __future__ import annotations

from typing import Any, Dict, FrozenSet, Iterable, List, Optional

from rasa.shared.core.events import Event, Restarted, SessionStarted, UserUttered

from bot.marker import PLAN_MILESTONES, TurnMarker
from bot.settings import PAGE_KEYS


def starts_session(event: Event) -> bool:
    """A new session or a restart: nothing before it counts for the current session."""
    return isinstance(event, (SessionStarted, Restarted))


def keeps_resources_in_reach(event: Event) -> bool:
    """A crisis turn or a check-in: every later turn of the session repeats the crisis lines."""
    marker = TurnMarker.from_event(event)
    return marker is not None and marker.keeps_resources_in_reach


def carries_page_settings(event: Event) -> bool:
    """A user message whose metadata names the clinic, its phone, booking link or region."""
    return (
        isinstance(event, UserUttered)
        and isinstance(event.metadata, dict)
        and any(key in event.metadata for key in PAGE_KEYS)
    )


def resources_shown_earlier(events: Iterable[Event]) -> bool:
    """Whether the current session already had a crisis turn or a check-in."""
    for event in reversed(list(events)):
        if starts_session(event):
            return False
        if keeps_resources_in_reach(event):
            return True
    return False


def latest_page_metadata(events: Iterable[Event]) -> Dict[str, Any]:
    """The metadata of the session's latest user message that carried page settings."""
    found: Optional[Dict[str, Any]] = None
    for event in reversed(list(events)):
        if starts_session(event):
            break
        if carries_page_settings(event):
            found = event.metadata
            break
    return found or {}


def _session_markers(events: Iterable[Event]) -> List[TurnMarker]:
    """The markers of the current session's bot turns, latest first."""
    markers: List[TurnMarker] = []
    for event in reversed(list(events)):
        if starts_session(event):
            break
        marker = TurnMarker.from_event(event)
        if marker is not None:
            markers.append(marker)
    return markers


def in_crisis_conversation(events: Iterable[Event]) -> bool:
    """Whether the current session is in the crisis conversation: it had a crisis turn or a turn
    of the conversation's own, and the conversation lasts the session. Every turn after one is
    marked too, so the latest turn a bounded tracker store keeps in view says so."""
    return any(marker.opens_crisis_conversation for marker in _session_markers(events))


def crisis_conversation_language(events: Iterable[Event]) -> Optional[str]:
    """The language the session's crisis conversation is in: that of its latest turn that was
    in another language; None while it is in English."""
    for marker in _session_markers(events):
        if marker.opens_crisis_conversation:
            return marker.language
    return None


def plan_milestones(events: Iterable[Event]) -> FrozenSet[str]:
    """What the session's turns have already done with the safety plan (offered, started...)."""
    return frozenset(
        marker.safety_plan
        for marker in _session_markers(events)
        if marker.safety_plan in PLAN_MILESTONES
    )
