"""Conversations are forgotten once idle longer than the retention setting."""

from __future__ import annotations

import asyncio
from typing import List

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_store import RetainingInMemoryTrackerStore


def test_a_conversation_is_kept_within_the_retention_and_forgotten_after() -> None:
    now: List[float] = [1000.0]
    store = RetainingInMemoryTrackerStore(Domain.empty(), retention_minutes=5, clock=lambda: now[0])
    tracker = DialogueStateTracker.from_events("visitor", [UserUttered("private words")])

    async def scenario() -> None:
        await store.save(tracker)
        now[0] += 4 * 60
        kept = await store.retrieve("visitor")
        assert kept is not None and kept.latest_message is not None
        assert kept.latest_message.text == "private words"
        await store.save(kept)  # activity restarts the clock
        now[0] += 4 * 60
        assert await store.retrieve("visitor") is not None
        now[0] += 5 * 60 + 1
        assert await store.retrieve("visitor") is None
        assert "visitor" not in store.store

    asyncio.run(scenario())


def test_the_retention_defaults_to_the_deployment_setting() -> None:
    from bot import settings

    store = RetainingInMemoryTrackerStore(Domain.empty())
    assert store._retention_s == 60 * settings.load_settings().retention_minutes
