"""Questions about a conversation's current session, answered in one place.

The response generator (`bot.nlg`) asks them to word a turn; the bounded tracker stores
(`bot.tracker_store`) ask them to decide which events to keep in view when a long conversation
is cut to a window. Both must get the same answers, or the store would keep something other
than what the reply reads.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, Optional

from rasa.shared.core.events import BotUttered, Event, Restarted, SessionStarted, UserUttered

from bot.settings import PAGE_KEYS
from bot.turns import RESOURCE_KINDS


def starts_session(event: Event) -> bool:
    """A new session or a restart: nothing before it counts for the current session."""
    return isinstance(event, (SessionStarted, Restarted))


def marker_of(event: Event) -> Dict[str, Any]:
    """The turn marker a bot event carries, or an empty one."""
    if not isinstance(event, BotUttered):
        return {}
    custom = (event.data or {}).get("custom")
    return custom if isinstance(custom, dict) else {}


def keeps_resources_in_reach(event: Event) -> bool:
    """A crisis turn or a check-in: every later turn of the session repeats the crisis lines."""
    return marker_of(event).get("kind") in RESOURCE_KINDS


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
