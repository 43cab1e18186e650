"""Tracker stores whose cost per turn does not grow with the conversation, and that forget.

Stock Rasa stores a conversation as one serialised tracker and reads and rewrites all of it on
every turn, so turn 400 costs far more than turn 2. These stores keep each conversation as an
append-only event log plus a small state record, and:

- `retrieve` returns the current session only, and at most its last `window_events` events
  (cut at a turn boundary), preceded by the state the cut would lose: the slots' values and the
  session's pinned events, the latest crisis turn or check-in (so `bot.nlg` keeps offering
  crisis resources for the rest of the session) and the latest message that carried page
  settings (the clinic the page named). `retrieve_full_tracker` (Rasa's HTTP API) still
  returns everything kept.
- `save` appends only the events added since the tracker was read.
- each conversation is forgotten once idle longer than `privacy.retention_minutes`.

`RetainingInMemoryTrackerStore` is the default (one server); `BoundedRedisTrackerStore`, Rasa's
`RedisTrackerStore` with the same layout, serves several Rasa servers (README "Deployment").
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Optional, Text

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import InMemoryTrackerStore, RedisTrackerStore, TrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa_internals import event_from_dict, publish_new_events
from bot.session import carries_page_settings, keeps_resources_in_reach, starts_session
from bot.settings import load_settings

# About 15 turns: far more than the policies look at (MemoizationPolicy max_history 4) and than
# "tell me more" needs, and small enough that a turn's cost stays flat.
DEFAULT_WINDOW_EVENTS = 100
# Set on a tracker this store returned or saved: (events in the log, events in the tracker) then.
_SYNC_ATTRIBUTE = "_bounded_store_sync"


@dataclass
class ConversationState:
    """What a bounded retrieval needs besides the window: kept next to the event log."""

    count: int = 0  # events in the log
    session_start: int = 0  # log index of the current session's first event
    slots: Dict[str, Any] = field(default_factory=dict)  # values set, as of the latest save
    pinned: List[str] = field(default_factory=list)  # serialised events to keep in the window

    def dumps(self) -> str:
        return json.dumps(self.__dict__)

    @classmethod
    def loads(cls, text: str) -> "ConversationState":
        return cls(**json.loads(text))


def load_event(serialised: Text) -> Event:
    """The event a `json.dumps(event.as_dict())` string describes."""
    return event_from_dict(json.loads(serialised))


def _with_new_events(
    state: ConversationState, new_events: List[Event], tracker: DialogueStateTracker
) -> ConversationState:
    pinned_crisis: Optional[str] = None
    pinned_page: Optional[str] = None
    for serialised in state.pinned:
        event = load_event(serialised)
        if keeps_resources_in_reach(event):
            pinned_crisis = serialised
        elif carries_page_settings(event):
            pinned_page = serialised
    session_start = state.session_start
    for offset, event in enumerate(new_events):
        if isinstance(event, ActionExecuted) and event.action_name == ACTION_SESSION_START_NAME:
            session_start = state.count + offset
        if starts_session(event):
            pinned_crisis = pinned_page = None
        elif keeps_resources_in_reach(event):
            pinned_crisis = json.dumps(event.as_dict())
        elif carries_page_settings(event):
            pinned_page = json.dumps(event.as_dict())
    slots = {
        name: slot.value for name, slot in tracker.slots.items() if slot.value != slot.initial_value
    }
    return ConversationState(
        count=state.count + len(new_events),
        session_start=session_start,
        slots=slots,
        pinned=[pin for pin in (pinned_page, pinned_crisis) if pin is not None],
    )


class BoundedEventLog(TrackerStore):
    """Bounded retrieval and append-only saving over a per-conversation log and state record.

    Subclasses provide the storage: `_read_state`, `_read_events` and `_write`.
    """

    window_events: int = DEFAULT_WINDOW_EVENTS

    def _read_state(self, sender_id: Text) -> Optional[ConversationState]:
        raise NotImplementedError

    def _read_events(self, sender_id: Text, start: int) -> List[str]:
        """The serialised events from log index `start` to the end."""
        raise NotImplementedError

    def _write(
        self, sender_id: Text, appended: List[str], state: ConversationState, replace: bool
    ) -> None:
        raise NotImplementedError

    def _bounded(self, sender_id: Text, fetch_all: bool) -> Optional[DialogueStateTracker]:
        state = self._read_state(sender_id)
        if state is None:
            return None
        start = 0 if fetch_all else max(state.session_start, state.count - self.window_events)
        events = [load_event(text) for text in self._read_events(sender_id, start)]
        prefix: List[Event] = []
        if start > state.session_start and not fetch_all:
            # Begin at a turn boundary, with what the cut-off part of the session established.
            listen_at = next(
                (
                    i
                    for i, event in enumerate(events)
                    if isinstance(event, ActionExecuted) and event.action_name == ACTION_LISTEN_NAME
                ),
                0,
            )
            events = events[listen_at:]
            prefix = [SlotSet(name, value) for name, value in state.slots.items()]
            prefix += [load_event(text) for text in state.pinned]
        tracker = DialogueStateTracker.from_events(
            sender_id, prefix + events, self.domain.slots, max_event_history=self.max_event_history
        )
        setattr(tracker, _SYNC_ATTRIBUTE, (state.count, len(tracker.events)))
        return tracker

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        """Publishes the turn's new events to the event broker (clinic insights).

        Rasa's version reads the conversation back from storage to tell which events are new;
        a tracker this store handed out already records where its new events begin.
        """
        sync = getattr(tracker, _SYNC_ATTRIBUTE, None)
        if self.event_broker is None or sync is None:
            await super().stream_events(tracker)
            return
        new_events = list(itertools.islice(tracker.events, sync[1], None))
        await publish_new_events(self, self.event_broker, new_events, tracker.sender_id)

    def _save_bounded(self, tracker: DialogueStateTracker) -> None:
        events = list(tracker.events)
        stored = self._read_state(tracker.sender_id)
        sync = getattr(tracker, _SYNC_ATTRIBUTE, None)
        appending = stored is not None and sync is not None and sync[0] == stored.count
        if appending and stored is not None and sync is not None:
            new_events, base = events[sync[1] :], stored
        else:  # a tracker from elsewhere (new, or replaced through the HTTP API): all of it
            new_events, base = events, ConversationState()
        state = _with_new_events(base, new_events, tracker)
        self._write(
            tracker.sender_id,
            [json.dumps(event.as_dict()) for event in new_events],
            state,
            replace=not appending,
        )
        setattr(tracker, _SYNC_ATTRIBUTE, (state.count, len(events)))


@dataclass
class _StoredConversation:
    state: ConversationState
    events: List[str]


class RetainingInMemoryTrackerStore(BoundedEventLog, InMemoryTrackerStore):
    """In memory; a conversation is kept only while active within `privacy.retention_minutes`."""

    def __init__(
        self,
        domain: Domain,
        host: Optional[Text] = None,
        event_broker: Optional[EventBroker] = None,
        retention_minutes: Optional[float] = None,
        clock: Callable[[], float] = time.monotonic,
        window_events: int = DEFAULT_WINDOW_EVENTS,
        **kwargs: Any,
    ) -> None:
        super().__init__(domain, event_broker, **kwargs)
        self.store: Dict[Text, _StoredConversation] = {}
        minutes = retention_minutes or load_settings().retention_minutes
        self._retention_s = 60.0 * float(minutes)
        self._clock = clock
        self._last_active: Dict[Text, float] = {}
        self.window_events = window_events

    def _forget_expired(self) -> None:
        cutoff = self._clock() - self._retention_s
        for sender_id in [s for s, at in self._last_active.items() if at < cutoff]:
            self.store.pop(sender_id, None)
            del self._last_active[sender_id]

    def _read_state(self, sender_id: Text) -> Optional[ConversationState]:
        stored = self.store.get(sender_id)
        return None if stored is None else stored.state

    def _read_events(self, sender_id: Text, start: int) -> List[str]:
        return self.store[sender_id].events[start:]

    def _write(
        self, sender_id: Text, appended: List[str], state: ConversationState, replace: bool
    ) -> None:
        stored = self.store.get(sender_id)
        if stored is None or replace:
            self.store[sender_id] = _StoredConversation(state, list(appended))
        else:
            stored.events.extend(appended)
            stored.state = state

    async def save(self, tracker: DialogueStateTracker) -> None:
        self._forget_expired()
        await self.stream_events(tracker)
        self._save_bounded(tracker)
        self._last_active[tracker.sender_id] = self._clock()

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        self._forget_expired()
        return self._bounded(sender_id, fetch_all=False)

    async def retrieve_full_tracker(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        self._forget_expired()
        return self._bounded(sender_id, fetch_all=True)

    async def keys(self) -> Iterable[Text]:
        self._forget_expired()
        return list(self.store.keys())


class BoundedRedisTrackerStore(BoundedEventLog, RedisTrackerStore):
    """Rasa's Redis tracker store with bounded retrieval; keys expire after the retention.

    Configure it like Rasa's (`url`, `port`, `db`, `password`, `key_prefix`, `use_ssl`...).
    `record_exp` (seconds) defaults to `privacy.retention_minutes`; activity restarts it.
    """

    def __init__(
        self,
        domain: Domain,
        host: Text = "localhost",
        record_exp: Optional[float] = None,
        retention_minutes: Optional[float] = None,
        window_events: int = DEFAULT_WINDOW_EVENTS,
        **kwargs: Any,
    ) -> None:
        minutes = retention_minutes or load_settings().retention_minutes
        super().__init__(
            domain, host=host, record_exp=record_exp or 60.0 * float(minutes), **kwargs
        )
        self.window_events = window_events

    def _state_key(self, sender_id: Text) -> str:
        return f"{self.key_prefix}state:{sender_id}"

    def _log_key(self, sender_id: Text) -> str:
        return f"{self.key_prefix}log:{sender_id}"

    def _read_state(self, sender_id: Text) -> Optional[ConversationState]:
        stored = self.red.get(self._state_key(sender_id))
        return None if stored is None else ConversationState.loads(stored)

    def _read_events(self, sender_id: Text, start: int) -> List[str]:
        return list(self.red.lrange(self._log_key(sender_id), start, -1))

    def _write(
        self, sender_id: Text, appended: List[str], state: ConversationState, replace: bool
    ) -> None:
        expiry_s = max(1, int(self.record_exp or 0)) if self.record_exp else None
        log_key = self._log_key(sender_id)
        with self.red.pipeline(transaction=True) as pipe:
            if replace:
                pipe.delete(log_key)
            if appended:
                pipe.rpush(log_key, *appended)
            pipe.set(self._state_key(sender_id), state.dumps(), ex=expiry_s)
            if expiry_s:
                pipe.expire(log_key, expiry_s)
            pipe.execute()

    async def save(self, tracker: DialogueStateTracker, timeout: Optional[float] = None) -> None:
        await self.stream_events(tracker)
        self._save_bounded(tracker)

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        return self._bounded(sender_id, fetch_all=False)

    async def retrieve_full_tracker(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        return self._bounded(sender_id, fetch_all=True)

    async def keys(self) -> Iterable[Text]:
        prefix = self._state_key("")
        return [key[len(prefix) :] for key in self.red.scan_iter(match=prefix + "*")]
