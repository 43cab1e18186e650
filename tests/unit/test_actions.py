"""Unit tests of the custom actions, with rasa-sdk's dispatcher and trackers."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.follow_up import ActionFollowUp, last_answered_topic
from bot.topics import load_topics


def bot_turn(kind: str, topic: Optional[str] = None) -> Dict[str, Any]:
    custom: Dict[str, Any] = {"kind": kind, "notice": "not medical advice"}
    if topic:
        custom["topic"] = topic
    return {"event": "bot", "text": "...", "data": {"custom": custom}}


def tracker_with(events: List[Dict[str, Any]]) -> Tracker:
    return Tracker.from_dict(
        {
            "sender_id": "unit",
            "slots": {},
            "latest_message": {"text": "tell me more", "intent": {"name": "tell_me_more"}},
            "events": events,
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        }
    )


def run_follow_up(events: List[Dict[str, Any]]) -> tuple:
    dispatcher = CollectingDispatcher()
    result = asyncio.run(ActionFollowUp().run(dispatcher, tracker_with(events), {}))
    return result, dispatcher.messages


def test_name() -> None:
    assert ActionFollowUp().name() == "action_follow_up"


def test_tell_me_more_continues_with_the_deeper_topic() -> None:
    events, messages = run_follow_up(
        [
            {"event": "user", "text": "how does ketamine work"},
            bot_turn("answer", "ketamine_mechanism"),
        ]
    )
    assert events == []
    assert [m["response"] for m in messages] == ["utter_faq/ketamine_nmda"]


def test_every_topic_leads_somewhere_real() -> None:
    topics = load_topics()
    for topic in topics.values():
        _, messages = run_follow_up([bot_turn("answer", topic.id)])
        assert messages[0]["response"] == f"utter_faq/{topic.deeper}"
        assert topic.deeper in topics and topic.deeper != topic.id


def test_the_latest_answer_counts_even_after_other_turns() -> None:
    events = [bot_turn("answer", "bdnf"), bot_turn("answer", "trauma"), bot_turn("smalltalk")]
    _, messages = run_follow_up(events)
    assert messages[0]["response"] == f"utter_faq/{load_topics()['trauma'].deeper}"


def test_without_an_earlier_answer_it_offers_the_topics() -> None:
    events, messages = run_follow_up(
        [{"event": "user", "text": "tell me more"}, bot_turn("smalltalk")]
    )
    assert events == []
    assert [m["response"] for m in messages] == ["utter_capabilities"]


def test_messages_are_named_responses_so_the_server_adds_the_notice() -> None:
    for events in ([bot_turn("answer", "bdnf")], []):
        _, messages = run_follow_up(events)
        assert all(m["response"] and not m["text"] for m in messages)


def test_last_answered_topic_ignores_malformed_events() -> None:
    events = [{"event": "bot"}, {"event": "bot", "data": None}, {"event": "user"}]
    assert last_answered_topic(events) is None
