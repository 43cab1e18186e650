"""What the REST channel accepts before Rasa sees a message, and what it refuses."""

from __future__ import annotations

import json

import pytest

from bot.channels import Admitted, Refusal, add_shortened_note, parse_request, shortened_note
from bot.settings import settings_from

SETTINGS = settings_from({"limits": {"max_message_chars": 50, "max_metadata_chars": 100}}, {})


def parse(body: object) -> object:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return parse_request(raw, SETTINGS)


@pytest.mark.parametrize(
    "body, status",
    [
        (b"{not json", 400),
        (b"\xff\xfe{}", 400),
        (b"[1, 2]", 400),
        (b"null", 400),
        ({"message": "hi"}, 400),
        ({"sender": "", "message": "hi"}, 400),
        ({"sender": "a b", "message": "hi"}, 400),
        ({"sender": "x" * 129, "message": "hi"}, 400),
        ({"sender": "\ud800", "message": "hi"}, 400),
        ({"sender": 7, "message": "hi"}, 400),
        ({"sender": "s"}, 400),
        ({"sender": "s", "message": 5}, 400),
        ({"sender": "s", "message": ["hi"]}, 400),
        ({"sender": "s", "message": ""}, 400),
        ({"sender": "s", "message": " \n\t "}, 400),
        ({"sender": "s", "message": "hi", "metadata": "x"}, 400),
        ({"sender": "s", "message": "hi", "metadata": {"k": "v" * 200}}, 413),
        (b"[" * 100_000, 400),
    ],
)
def test_malformed_requests_are_refused_with_a_reason(body: object, status: int) -> None:
    refusal = parse(body)
    assert isinstance(refusal, Refusal) and refusal.status == status
    assert refusal.reason


def test_an_over_long_message_is_shortened_and_the_reply_says_so() -> None:
    admitted = parse({"sender": "s", "message": "word " * 100})
    assert isinstance(admitted, Admitted) and admitted.shortened
    assert len(admitted.text) == 50
    assert "longer than 50 characters" in shortened_note(50)


def test_control_characters_and_lone_surrogates_are_replaced() -> None:
    admitted = parse({"sender": "s", "message": "a\x00b\x1bc\ud800d\ne"})
    assert isinstance(admitted, Admitted) and not admitted.shortened
    assert admitted.text == "a b c\ufffdd\ne"
    admitted.text.encode("utf-8")  # storable anywhere


def test_the_note_goes_before_the_marker_so_crisis_lines_stay_first() -> None:
    from rasa.core.channels.channel import CollectingOutputChannel

    collector = CollectingOutputChannel()
    collector.messages = [{"text": "**If you or someone else may be in danger"}, {"custom": {}}]
    add_shortened_note(collector, "s", 50)
    assert collector.messages[0]["text"].startswith("**If you")
    assert "longer than" in collector.messages[1]["text"]
    assert "custom" in collector.messages[-1]
