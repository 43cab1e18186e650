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


# --- RulePolicy: the indexed search finds the same rule keys as Rasa's own ----------------------


def trained_rule_policy() -> tuple:
    """Rasa's RulePolicy trained on the project's own rules and stories, and the domain."""
    import tempfile
    from pathlib import Path

    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.core.generator import TrainingDataGenerator
    from rasa.shared.importers.importer import TrainingDataImporter

    from conftest import ROOT

    importer = TrainingDataImporter.load_from_config(
        str(ROOT / "config.yml"), str(ROOT / "domain.yml"), [str(ROOT / "data")]
    )
    domain = importer.get_domain()
    trackers = TrainingDataGenerator(
        importer.get_stories(), domain, augmentation_factor=0
    ).generate()
    storage = LocalModelStorage(Path(tempfile.mkdtemp()))
    policy = RulePolicy(
        {
            **RulePolicy.get_default_config(),
            "restrict_rules": False,
            "check_for_contradictions": False,
        },
        storage,
        Resource("rule_policy"),
        ExecutionContext(GraphSchema({}), "test"),
    )
    policy.train(trackers, domain)
    return policy, trackers, domain


def test_the_indexed_rule_search_finds_exactly_rasas_keys() -> None:
    from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH, RulePolicy

    assert RulePolicy._get_possible_keys is rasa_speedups._get_possible_keys  # the fixture's
    policy, trackers, domain = trained_rule_policy()
    compared = found = 0
    for tracker in trackers:
        states = policy._prediction_states(tracker, domain)
        for end in range(1, len(states) + 1):
            for table in (policy.lookup[RULES], policy.lookup.get(RULES_FOR_LOOP_UNHAPPY_PATH, {})):
                fast = rasa_speedups._get_possible_keys(policy, table, states[:end])
                # Rasa's own search: every key, checked at every state, latest first.
                slow = set(table)
                for index, state in enumerate(reversed(states[:end])):
                    slow = {key for key in slow if policy._is_rule_applicable(key, index, state)}
                assert fast == slow
                compared += 1
                found += bool(slow)
    # Over the project's real rules and conversations, many of which a rule applies to.
    assert compared > 500 and found > 100 and len(policy.lookup[RULES]) > 100
