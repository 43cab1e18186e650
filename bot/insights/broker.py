"""The Rasa event broker that records turn facts (`event_broker` in both endpoints files).

Why an event broker rather than the REST channel: the facts need the parse result (the crisis
guard's verdict, the medication and treatment entities, the intent) and the turn marker, and
Rasa hands an event broker exactly those, every tracker event of every turn from every input
channel, inside the Rasa server and whichever tracker store is configured (in memory with
`endpoints.yml`, Redis with `endpoints.redis.yml`). The REST channel sees only the reply's
JSON, where the parse result is gone. What never becomes a tracker event (a request the
channel refused, a turn the channel had to send itself) the channel records directly
(`bot.channels`).

`publish` runs on the request path (Rasa calls it while saving the tracker): it reads the
event's few fields into a fact and queues it; the database is written by a thread of its own
(`bot.insights.store`). It never raises: a broken fact is logged by its error type and lost.
"""

from __future__ import annotations

import logging
from asyncio import AbstractEventLoop
from typing import Any, Dict, Optional, Text

from rasa.core.brokers.broker import EventBroker
from rasa.utils.endpoints import EndpointConfig

from bot.insights.recorder import Recorder, recorder

logger = logging.getLogger(__name__)


class InsightsEventBroker(EventBroker):
    def __init__(self, target: Optional[Recorder] = None) -> None:
        self.recorder = target or recorder()

    @classmethod
    async def from_endpoint_config(
        cls,
        broker_config: EndpointConfig,
        event_loop: Optional[AbstractEventLoop] = None,
    ) -> "InsightsEventBroker":
        return cls()

    def publish(self, event: Dict[Text, Any]) -> None:
        try:
            self.recorder.event(event)
        except Exception as error:  # noqa: BLE001 - a fact is never worth a turn
            logger.warning("Insights: a turn was not recorded (%s).", type(error).__name__)

    async def close(self) -> None:
        self.recorder.close()
