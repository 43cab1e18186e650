"""The one recorder of a Rasa server process: facts in, batched writes out.

The event broker (`bot.insights.broker`) feeds it every tracker event; the REST channel
(`bot.channels`) tells it what never reaches a tracker: requests it refused, and turns it had
to send itself because Rasa produced none.
"""

from __future__ import annotations

import atexit
import logging
import threading
from typing import Any, Dict, Mapping, Optional, Tuple

from bot.insights.facts import (
    REFUSAL_REASONS,
    FactExtractor,
    PageFacts,
    RefusalFact,
    UserFacts,
    channel_of,
    hour_of,
    page_facts,
    turn_fact,
)
from bot.insights.store import FactWriter
from bot.marker import TurnMarker
from bot.settings import Settings, load_settings

logger = logging.getLogger(__name__)


class Recorder:
    def __init__(self, settings: Settings, writer: Optional[FactWriter]) -> None:
        self.settings = settings
        self.writer = writer
        self.extractor = FactExtractor(settings)

    @property
    def enabled(self) -> bool:
        return self.writer is not None

    def event(self, body: Mapping[str, Any]) -> None:
        """A tracker event as Rasa publishes it; most are not turns and cost one lookup."""
        if self.writer is None:
            return
        fact = self.extractor.feed(body)
        if fact is not None:
            self.writer.add(fact)

    def unavailable_turn(self, marker: Optional[TurnMarker], metadata: Any) -> None:
        """The fallback turn the REST channel sent because Rasa produced none."""
        if self.writer is None or marker is None:
            return
        try:
            page = page_facts(metadata) or PageFacts()
            user = UserFacts(channel=channel_of(metadata))
            fact = turn_fact(marker, None, user, page, self.settings, False, unavailable=True)
        except Exception as error:  # noqa: BLE001 - a fact is never worth a turn
            logger.warning("Insights: a turn was not recorded (%s).", type(error).__name__)
            return
        if fact is not None:
            self.writer.add(fact)

    def refused(self, reason: str) -> None:
        if self.writer is None or reason not in REFUSAL_REASONS:
            return
        self.writer.add(RefusalFact(hour_of(None), reason))

    def flush(self, timeout_s: float = 10.0) -> bool:
        return self.writer.flush(timeout_s) if self.writer else True

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


_recorders: Dict[Tuple[bool, str, int], Recorder] = {}
_lock = threading.Lock()


def recorder_for(settings: Settings) -> Recorder:
    """The process's recorder for these settings (one writer per database)."""
    key = (settings.insights_record, settings.insights_db_url, settings.insights_retention_days)
    with _lock:
        found = _recorders.get(key)
        if found is None:
            writer = (
                FactWriter(settings.insights_db_url, settings.insights_retention_days)
                if settings.insights_record
                else None
            )
            found = _recorders[key] = Recorder(settings, writer)
    return found


def recorder() -> Recorder:
    return recorder_for(load_settings())


def close_all() -> None:
    """Writes what is queued; at exit, and when Rasa closes the event broker."""
    with _lock:
        recorders = list(_recorders.values())
    for each in recorders:
        each.close()


atexit.register(close_all)
