"""Unit tests of the custom actions, with rasa-sdk's dispatcher and trackers."""

from __future__ import annotations

import asyncio
from typing import Any, Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.follow_up import ActionFollowUp, latest_topic
from bot.topics import load_topics


def tracker_with(topic: Optional[Any]) -> Tracker:
    """A conversation whose `topic` slot (the latest answer's topic) holds `topic`."""
    return Tracker.from_dict(
        {
            "sender_id": "unit",
            "slots": {"topic": topic},
            "latest_message": {"text": "tell me more", "intent": {"name": "tell_me_more"}},
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        }
    )


def run_follow_up(topic: Optional[Any]) -> tuple:
    dispatcher = CollectingDispatcher()
    result = asyncio.run(ActionFollowUp().run(dispatcher, tracker_with(topic), {}))
    return result, dispatcher.messages


def test_name() -> None:
    assert ActionFollowUp().name() == "action_follow_up"


def test_tell_me_more_continues_with_the_deeper_topic_and_remembers_it() -> None:
    events, messages = run_follow_up("ketamine_mechanism")
    assert [m["response"] for m in messages] == ["utter_faq/ketamine_nmda"]
    # The slot moves on, so "tell me more" again goes deeper still.
    assert events == [
        {"event": "slot", "timestamp": None, "name": "topic", "value": "ketamine_nmda"}
    ]


def test_every_topic_leads_somewhere_real() -> None:
    topics = load_topics()
    for topic in topics.values():
        _, messages = run_follow_up(topic.id)
        assert messages[0]["response"] == f"utter_faq/{topic.deeper}"
        assert topic.deeper in topics and topic.deeper != topic.id


def test_without_an_earlier_answer_it_offers_the_topics() -> None:
    for topic in (None, "", "cost", "no_such_topic", 3):
        events, messages = run_follow_up(topic)
        assert events == []
        assert [m["response"] for m in messages] == ["utter_capabilities"], topic


def test_messages_are_named_responses_so_the_server_adds_the_notice() -> None:
    for topic in ("bdnf", None):
        _, messages = run_follow_up(topic)
        assert all(m["response"] and not m["text"] for m in messages)


def test_the_latest_topic_is_read_only_from_a_text_slot() -> None:
    assert latest_topic(tracker_with("bdnf")) == "bdnf"
    assert latest_topic(tracker_with(None)) is None
    assert latest_topic(tracker_with(["bdnf"])) is None
