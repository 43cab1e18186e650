"""Tracker stores: conversations forgotten after the retention; what a turn reads is bounded."""

from __future__ import annotations

import asyncio
import json
from typing import List, Optional

import pytest
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.nlg import turn_context
from bot.tracker_store import BoundedRedisTrackerStore, RetainingInMemoryTrackerStore, load_event


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


# --- bounded retrieval ----------------------------------------------------------------------------

CRISIS_MARKER = {"custom": {"kind": "crisis", "notice": "n"}}
ANSWER_MARKER = {"custom": {"kind": "answer", "topic": "bdnf", "notice": "n"}}
PAGE = {"clinic_name": "Bright Path Clinic", "region": "AU"}


def one_turn(text: str, marker: dict, metadata: Optional[dict] = None) -> list:
    return [
        UserUttered(text, {"name": "faq", "confidence": 1.0}, metadata=metadata),
        ActionExecuted("utter_x"),
        BotUttered("reply", data=marker),
        ActionExecuted(ACTION_LISTEN_NAME),
    ]


async def take_turn(store: TrackerStore, sender: str, events: list) -> DialogueStateTracker:
    """What Rasa's processor does per turn: read the tracker, add the turn's events, save it."""
    tracker = await store.get_or_create_tracker(sender)
    if len(tracker.events) <= 1:  # a new conversation: Rasa starts its first session
        tracker.update(ActionExecuted(ACTION_SESSION_START_NAME))
        tracker.update(SessionStarted())
        tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
    for event in events:
        tracker.update(event)
    await store.save(tracker)
    return tracker


def in_memory_store(window: int = 40) -> RetainingInMemoryTrackerStore:
    return RetainingInMemoryTrackerStore(Domain.empty(), retention_minutes=60, window_events=window)


@pytest.mark.parametrize("turns", [2, 300])
def test_a_crisis_at_turn_one_is_still_honoured_hundreds_of_turns_later(turns: int) -> None:
    store = in_memory_store(window=40)

    async def scenario() -> None:
        await take_turn(store, "v", one_turn("i want to die", CRISIS_MARKER, metadata=PAGE))
        for number in range(turns):
            await take_turn(store, "v", one_turn(f"question {number}", ANSWER_MARKER))
        tracker = await store.retrieve("v")
        assert tracker is not None
        assert len(tracker.events) <= 40 + 2  # the window plus the pinned page and crisis events
        context = turn_context(tracker)
        assert context.crisis_earlier is True
        assert context.region == "AU" and context.contact.name == "Bright Path Clinic"
        assert tracker.latest_message is not None
        assert tracker.latest_message.text == f"question {turns - 1}"
        full = await store.retrieve_full_tracker("v")
        assert full is not None and len(full.events) == 4 + 4 * (turns + 1)

    asyncio.run(scenario())


def test_without_a_crisis_the_bounded_tracker_reports_none() -> None:
    store = in_memory_store(window=40)

    async def scenario() -> None:
        for number in range(100):
            await take_turn(store, "v", one_turn(f"question {number}", ANSWER_MARKER))
        tracker = await store.retrieve("v")
        assert tracker is not None and len(tracker.events) <= 40
        assert turn_context(tracker).crisis_earlier is False

    asyncio.run(scenario())


def test_a_new_session_forgets_the_earlier_crisis() -> None:
    store = in_memory_store(window=40)

    async def scenario() -> None:
        await take_turn(store, "v", one_turn("i want to die", CRISIS_MARKER))
        for number in range(30):
            await take_turn(store, "v", one_turn(f"q {number}", ANSWER_MARKER))
        tracker = await store.retrieve("v")
        assert tracker is not None and turn_context(tracker).crisis_earlier
        tracker.update(ActionExecuted(ACTION_SESSION_START_NAME))
        tracker.update(SessionStarted())
        tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
        await store.save(tracker)
        await take_turn(store, "v", one_turn("hello again", ANSWER_MARKER))
        tracker = await store.retrieve("v")
        assert tracker is not None and not turn_context(tracker).crisis_earlier
        assert tracker.events[0] == ActionExecuted(ACTION_SESSION_START_NAME)

    asyncio.run(scenario())


def test_slots_set_before_the_window_are_kept() -> None:
    store = in_memory_store(window=20)
    store.domain = Domain.from_dict({"slots": {"topic": {"type": "text", "mappings": []}}})

    async def scenario() -> None:
        await take_turn(store, "v", [*one_turn("bdnf", ANSWER_MARKER), SlotSet("topic", "bdnf")])
        for number in range(30):
            await take_turn(store, "v", one_turn(f"q {number}", ANSWER_MARKER))
        tracker = await store.retrieve("v")
        assert tracker is not None and len(tracker.events) <= 21
        assert tracker.get_slot("topic") == "bdnf"

    asyncio.run(scenario())


def test_saving_appends_only_the_new_events() -> None:
    store = in_memory_store(window=40)

    async def scenario() -> None:
        for number in range(50):
            await take_turn(store, "v", one_turn(f"q {number}", ANSWER_MARKER))
        stored = store.store["v"]
        assert stored.state.count == len(stored.events) == 4 + 4 * 50
        assert [json.loads(e)["event"] for e in stored.events].count("user") == 50

    asyncio.run(scenario())


# --- Redis: a real redis-server on loopback -------------------------------------------------------


def test_redis_store_bounds_retrieval_and_keeps_the_crisis(redis_port: int) -> None:
    store = BoundedRedisTrackerStore(
        Domain.empty(), port=redis_port, window_events=40, key_prefix="boundedtest"
    )

    async def scenario() -> None:
        await take_turn(store, "r", one_turn("i want to die", CRISIS_MARKER))
        for number in range(300):
            await take_turn(store, "r", one_turn(f"q {number}", ANSWER_MARKER))
        tracker = await store.retrieve("r")
        assert tracker is not None and len(tracker.events) <= 41
        assert turn_context(tracker).crisis_earlier
        assert "r" in await store.keys()
        assert store.red.llen(store._log_key("r")) == 4 + 4 * 301

    asyncio.run(scenario())


def test_redis_conversations_expire_after_the_retention(redis_port: int) -> None:
    store = BoundedRedisTrackerStore(
        Domain.empty(), port=redis_port, retention_minutes=2 / 60, key_prefix="retentiontest"
    )
    assert store.record_exp == pytest.approx(2.0)

    async def scenario() -> None:
        await take_turn(store, "gone", one_turn("private words", ANSWER_MARKER))
        assert await store.retrieve("gone") is not None
        await asyncio.sleep(1.2)
        await take_turn(store, "gone", one_turn("more words", ANSWER_MARKER))  # restarts the clock
        await asyncio.sleep(1.2)
        assert await store.retrieve("gone") is not None
        await asyncio.sleep(2.0)
        assert await store.retrieve("gone") is None
        assert not store.red.exists(store._log_key("gone"), store._state_key("gone"))

    asyncio.run(scenario())


def test_redis_retention_defaults_to_the_deployment_setting(redis_port: int) -> None:
    from bot import settings

    store = BoundedRedisTrackerStore(Domain.empty(), port=redis_port)
    assert store.record_exp == 60 * settings.load_settings().retention_minutes


@pytest.mark.parametrize(
    "event",
    [
        UserUttered(
            "what is bdnf",
            {"name": "faq", "confidence": 0.9},
            [{"entity": "treatment", "value": "ketamine", "start": 0, "end": 3}],
            metadata={"clinic_name": "Clinic"},
        ),
        BotUttered("text", {"custom": {"kind": "crisis"}, "buttons": []}),
        SlotSet("topic", "bdnf"),
        ActionExecuted(ACTION_LISTEN_NAME),
        SessionStarted(),
        Restarted(),
    ],
    ids=lambda event: type(event).__name__,
)
def test_a_stored_event_reads_back_as_rasa_itself_reads_it(event: Event) -> None:
    stored = json.dumps(event.as_dict())
    loaded = load_event(stored)
    assert type(loaded) is type(event)
    assert loaded == Event.from_parameters(json.loads(stored))
    assert loaded.as_dict() == event.as_dict()


def test_an_unknown_stored_event_type_is_an_error_not_a_silent_gap() -> None:
    with pytest.raises(ValueError):
        load_event(json.dumps({"event": "no_such_event", "timestamp": 1.0}))
