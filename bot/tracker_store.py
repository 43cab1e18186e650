"""The default tracker store: in memory, and each conversation forgotten after the retention."""

from __future__ import annotations

import time
from typing import Any, Callable, Dict, Optional, Text

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from bot.settings import load_settings


class RetainingInMemoryTrackerStore(InMemoryTrackerStore):
    """Keeps a conversation only while it has been active within `privacy.retention_minutes`."""

    def __init__(
        self,
        domain: Domain,
        host: Optional[Text] = None,
        event_broker: Optional[EventBroker] = None,
        retention_minutes: Optional[float] = None,
        clock: Callable[[], float] = time.monotonic,
        **kwargs: Any,
    ) -> None:
        super().__init__(domain, event_broker, **kwargs)
        minutes = retention_minutes or load_settings().retention_minutes
        self._retention_s = 60.0 * float(minutes)
        self._clock = clock
        self._last_active: Dict[Text, float] = {}

    def _forget_expired(self) -> None:
        cutoff = self._clock() - self._retention_s
        for sender_id in [s for s, at in self._last_active.items() if at < cutoff]:
            self.store.pop(sender_id, None)
            del self._last_active[sender_id]

    async def save(self, tracker: DialogueStateTracker) -> None:
        self._forget_expired()
        await super().save(tracker)
        self._last_active[tracker.sender_id] = self._clock()

    async def _retrieve(
        self, sender_id: Text, fetch_all_sessions: bool
    ) -> Optional[DialogueStateTracker]:
        self._forget_expired()
        return await super()._retrieve(sender_id, fetch_all_sessions)
