"""A button's payload: one definition, for every button the assistant offers."""

from __future__ import annotations

from typing import Any, Dict

import pytest
import yaml

from bot.payload import is_payload, payload_for, payload_names, payload_topic
from bot.topics import RETRIEVAL_INTENT, load_topics

from conftest import ROOT


def test_every_button_the_assistant_offers_sends_a_payload() -> None:
    domain: Dict[str, Any] = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    sent = [
        button["payload"]
        for variations in domain["responses"].values()
        for variation in variations
        for button in variation.get("buttons") or []
    ]
    sent += [topic.payload for topic in load_topics().values()]
    assert "/affirm" in sent and "/faq/bdnf" in sent
    for payload in sent:
        assert is_payload(payload), payload


@pytest.mark.parametrize(
    "text",
    [
        "hello",
        "",
        None,
        "/",
        "/faq/bdnf please",
        "/Faq/bdnf",
        "/faq/../etc",
        "a /faq/bdnf",
        '/affirm{"x": 1}',
        "/ i want to die",
    ],
)
def test_anything_else_is_words(text: Any) -> None:
    assert not is_payload(text)
    assert payload_names(text) == ()


def test_surrounding_spaces_do_not_matter() -> None:
    assert is_payload("  /deny \n")
    assert payload_names(" /deny ") == ("deny",)


@pytest.mark.parametrize(
    "text, topic",
    [
        ("/faq/bdnf", "bdnf"),
        (" /faq/ketamine_nmda ", "ketamine_nmda"),
        ("/faq/", None),
        ("/faq", None),
        ("/faq/a/b", None),
        ("/affirm", None),
        ("/other/bdnf", None),
        ("/faq/bdnf and more", None),
    ],
)
def test_a_topic_payload_names_its_topic(text: str, topic: Any) -> None:
    assert payload_topic(text, RETRIEVAL_INTENT) == topic


def test_a_payload_is_written_as_it_is_read() -> None:
    assert payload_for("affirm") == "/affirm"
    assert payload_for(RETRIEVAL_INTENT, "bdnf") == "/faq/bdnf"
    for topic_id, topic in load_topics().items():
        assert payload_topic(topic.payload, RETRIEVAL_INTENT) == topic_id
