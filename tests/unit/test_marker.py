"""The turn marker: one type, read from every place it travels, written byte for byte as before."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, Dict, List

import pytest
from rasa.shared.core.events import BotUttered, UserUttered

from bot.marker import (
    KINDS,
    RESOURCE_KINDS,
    TurnMarker,
    carries_marker,
    last_message_marker,
    marker_position,
    reply_marker,
)
from bot.settings import ClinicContact, Settings
from bot.turns import (
    BUILT_IN_RESPONSES,
    NOTICE,
    TurnContext,
    compose_check_in,
    compose_turn,
    in_language,
    unavailable_turn,
)

US = TurnContext(Settings(), ClinicContact(), "US")
CONTEXTS = {
    "plain": US,
    "after a crisis": replace(US, crisis_earlier=True),
    "spanish": replace(US, language="es"),
    "french, after a crisis": replace(US, language="fr", crisis_earlier=True),
}


def composed_turns(domain_responses: Dict[str, List[Dict[str, Any]]]) -> List[Dict[str, Any]]:
    """A turn of every kind `bot.turns` composes, in every context that changes its marker."""
    turns = []
    responses = {**domain_responses, **{n: [{"text": t}] for n, t in BUILT_IN_RESPONSES.items()}}
    for name, variations in responses.items():
        for context in CONTEXTS.values():
            response = in_language(name, variations[0], context.language)
            turns.append(compose_turn(name, response, context))
    question = domain_responses["utter_check_in"][0]
    for answer in ("utter_advice", "utter_not_covered", "utter_faq/bdnf"):
        turns.append(compose_check_in(answer, domain_responses[answer][0], question, US))
    for context in CONTEXTS.values():
        turns += [unavailable_turn(context), unavailable_turn(context, crisis=True)]
    return turns


def test_every_composed_marker_reads_and_writes_back_byte_for_byte(
    domain_responses: Dict[str, Any],
) -> None:
    turns = composed_turns(domain_responses)
    assert {turn["custom"]["kind"] for turn in turns} == set(KINDS)
    for turn in turns:
        marker = TurnMarker.from_message(turn)
        assert marker is not None, turn["custom"]
        assert json.dumps(marker.to_custom()) == json.dumps(turn["custom"])


# The markers as the wire has always carried them: keys in this order, absent rather than false.
WIRE = [
    ("utter_faq/bdnf", "plain", '{"kind": "answer", "notice": "%s", "topic": "bdnf"}'),
    ("utter_crisis", "plain", '{"kind": "crisis", "notice": "%s", "crisis_resources": true}'),
    (
        "utter_faq/bdnf",
        "after a crisis",
        '{"kind": "answer", "notice": "%s", "topic": "bdnf", "crisis_resources": true}',
    ),
    (
        "utter_other_language",
        "spanish",
        '{"kind": "out_of_scope", "notice": "%s", "crisis_resources": true, "language": "es"}',
    ),
    (
        "utter_greet",
        "spanish",
        '{"kind": "smalltalk", "notice": "%s", "crisis_resources": true, "language": "es"}',
    ),
]


@pytest.mark.parametrize("name, context, wire", WIRE)
def test_a_turns_marker_is_on_the_wire_as_it_always_was(
    domain_responses: Dict[str, Any], name: str, context: str, wire: str
) -> None:
    turn = compose_turn(name, domain_responses[name][0], CONTEXTS[context])
    assert json.dumps(turn["custom"]) == wire % NOTICE


def test_a_check_in_and_the_unavailable_turn_are_on_the_wire_as_they_always_were(
    domain_responses: Dict[str, Any],
) -> None:
    question = domain_responses["utter_check_in"][0]
    check_in = compose_check_in("utter_faq/bdnf", {"text": "BDNF."}, question, US)
    assert json.dumps(check_in["custom"]) == (
        '{"kind": "check_in", "notice": "%s", "answer_kind": "answer", '
        '"crisis_resources": true, "topic": "bdnf"}' % NOTICE
    )
    advice = compose_check_in("utter_advice", {"text": "Advice."}, question, US)
    assert json.dumps(advice["custom"]) == (
        '{"kind": "check_in", "notice": "%s", "answer_kind": "advice", '
        '"crisis_resources": true}' % NOTICE
    )
    assert json.dumps(unavailable_turn(US)["custom"]) == (
        '{"kind": "fallback", "notice": "%s", "crisis_resources": true, '
        '"reason": "unavailable"}' % NOTICE
    )
    spanish = unavailable_turn(CONTEXTS["spanish"], crisis=True)
    assert json.dumps(spanish["custom"]) == (
        '{"kind": "crisis", "notice": "%s", "crisis_resources": true, "language": "es", '
        '"reason": "unavailable"}' % NOTICE
    )


def test_an_acknowledged_answer_says_which_concern_it_acknowledged(
    domain_responses: Dict[str, Any],
) -> None:
    context = replace(US, concerns=("feelings",), acknowledge=True)
    turn = compose_turn("utter_faq/bdnf", domain_responses["utter_faq/bdnf"][0], context)
    assert json.dumps(turn["custom"]) == (
        '{"kind": "answer", "notice": "%s", "topic": "bdnf", "acknowledged": "feelings"}' % NOTICE
    )
    assert TurnMarker.from_custom(turn["custom"]) == TurnMarker(
        kind="answer", notice=NOTICE, topic="bdnf", acknowledged="feelings"
    )


def test_a_marker_is_read_leniently() -> None:
    for not_one in (None, [], "crisis", {}, {"kind": 3}, {"notice": "n"}):
        assert TurnMarker.from_custom(not_one) is None
    odd = TurnMarker.from_custom(
        {"kind": "answer", "topic": 7, "crisis_resources": "yes", "language": None, "x": 1}
    )
    assert odd == TurnMarker("answer")
    assert TurnMarker.from_custom({"kind": "crisis"}) == TurnMarker("crisis")


def test_the_marker_is_read_from_a_tracker_event_and_an_event_dict() -> None:
    custom = {"kind": "answer", "notice": "n", "topic": "bdnf"}
    expected = TurnMarker("answer", notice="n", topic="bdnf")
    assert TurnMarker.from_event(BotUttered("text", {"custom": custom})) == expected
    assert TurnMarker.from_event(BotUttered("text")) is None
    assert TurnMarker.from_event(UserUttered("hi")) is None
    assert TurnMarker.from_event_dict(BotUttered("text", {"custom": custom}).as_dict()) == expected
    for not_one in (
        {"event": "user", "data": {"custom": custom}},
        {"event": "bot"},
        {"event": "bot", "data": None},
        {"event": "bot", "data": []},
        None,
    ):
        assert TurnMarker.from_event_dict(not_one) is None


def test_the_marker_is_read_from_a_reply() -> None:
    reply = [
        {"recipient_id": "r", "text": "first"},
        {"recipient_id": "r", "custom": {"kind": "crisis", "notice": "n"}},
    ]
    assert not carries_marker(reply[0]) and carries_marker(reply[1])
    assert marker_position(reply) == 1 and marker_position(reply[:1]) is None
    assert reply_marker(reply) == TurnMarker("crisis", notice="n")
    assert reply_marker(reply[:1]) is None
    assert last_message_marker(reply) == TurnMarker("crisis", notice="n")
    for not_a_turn in (reply[:1], [], None, {"custom": {}}):
        assert last_message_marker(not_a_turn) is None


def test_which_turns_keep_the_crisis_lines_in_reach() -> None:
    for kind in KINDS:
        marker = TurnMarker(kind)
        assert marker.keeps_resources_in_reach == (kind in RESOURCE_KINDS)
        assert marker.shows_resources == (kind in RESOURCE_KINDS)
    assert TurnMarker("answer", crisis_resources=True).shows_resources
    assert not TurnMarker("answer", crisis_resources=True).keeps_resources_in_reach
