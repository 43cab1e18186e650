"""Rasa internals replaced for speed keep Rasa's behaviour."""

from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from bot import rasa_speedups
from bot.nlg import ClinicNaturalLanguageGenerator

VALID = {
    "events": [{"event": "slot", "name": "topic", "value": "bdnf", "timestamp": None}],
    "responses": [{"response": "utter_faq/bdnf"}],
}
INVALID = [
    {"events": [{"event": "no_such_event"}], "responses": []},
    {"events": "not a list"},
    {"responses": [1, 2]},
    [],
]


def remote_action() -> RemoteAction:
    return RemoteAction("action_follow_up", EndpointConfig("http://localhost:1/webhook"))


@pytest.fixture(autouse=True)
def generator() -> ClinicNaturalLanguageGenerator:
    """Installs the speed-ups, as the Rasa server does when it creates the generator."""
    return ClinicNaturalLanguageGenerator()


def test_creating_the_generator_installs_the_cached_validation() -> None:
    assert RemoteAction._validate_action_result is rasa_speedups._validate_action_result


def test_a_valid_action_server_response_passes() -> None:
    assert remote_action()._validate_action_result(VALID) is True


@pytest.mark.parametrize("response", INVALID)
def test_an_invalid_action_server_response_fails_as_with_rasas_own_check(response: object) -> None:
    with pytest.raises(jsonschema.ValidationError) as ours:
        remote_action()._validate_action_result(response)
    assert "Failed to validate Action server response" in ours.value.message
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(response, RemoteAction.action_response_format_spec())
