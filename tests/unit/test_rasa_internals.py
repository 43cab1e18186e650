"""Rasa's internals the project relies on: the version they were written for, and each touch."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import rasa

from bot import rasa_internals, rasa_speedups
from bot.rasa_internals import (
    RASA_VERSION,
    Patch,
    RasaInternalsError,
    called_targets,
    collect_text,
    install_server_patches,
    install_story_test_patches,
    patch_targets,
    require,
    version_mismatch,
)


def test_the_installed_rasa_is_the_one_the_internals_were_written_against() -> None:
    assert rasa.__version__ == RASA_VERSION, (
        f"Rasa {rasa.__version__} is installed; bot/rasa_internals.py was written against "
        f"{RASA_VERSION}. Check every touch it lists against the new Rasa, then update "
        "RASA_VERSION."
    )
    assert version_mismatch() is None


def test_every_patched_attribute_exists_in_the_installed_rasa() -> None:
    for patch in patch_targets():
        assert require(patch.owner, patch.name) is not None


@pytest.mark.parametrize("owner, name", called_targets(), ids=lambda value: str(value))
def test_every_private_attribute_called_exists_in_the_installed_rasa(owner: Any, name: str) -> None:
    assert callable(require(owner, name))


def test_a_missing_target_is_named_before_anything_is_patched() -> None:
    import rasa.core.test as core_test

    from bot.channels import WholeTurnCollector

    class Owner:
        pass

    with pytest.raises(RasaInternalsError, match=r"Owner\._gone does not exist"):
        Patch(Owner, "_gone", lambda: None).install()
    assert not hasattr(Owner, "_gone")
    with pytest.raises(RasaInternalsError, match=r"^rasa\.core\.test\._gone does not exist"):
        require(core_test, "_gone")
    with pytest.raises(RasaInternalsError, match=r"^bot\.channels\.WholeTurnCollector\._gone "):
        require(WholeTurnCollector(), "_gone")


def test_installing_the_server_patches_twice_changes_nothing() -> None:
    from rasa.core.actions.action import RemoteAction

    install_server_patches()
    install_server_patches()
    assert RemoteAction._validate_action_result is rasa_speedups._validate_action_result
    assert all(patch.installed for patch in rasa_internals.server_patches())


def test_the_story_test_fix_wraps_rasas_own_function_once(monkeypatch: Any) -> None:
    import rasa.core.test as core_test

    original = core_test._collect_action_executed_predictions
    original_user = core_test._collect_user_uttered_predictions
    # Put back after the test: the fix is for `rasa test` only.
    monkeypatch.setattr(core_test, "_collect_action_executed_predictions", original)
    monkeypatch.setattr(core_test, "_collect_user_uttered_predictions", original_user)
    monkeypatch.setattr(rasa_internals, "_original_collect", None)
    monkeypatch.setattr(rasa_internals, "_original_collect_user", None)
    install_story_test_patches()
    install_story_test_patches()
    assert core_test._collect_action_executed_predictions is rasa_internals._collect_base_names
    assert rasa_internals._original_collect is original
    assert (
        core_test._collect_user_uttered_predictions is rasa_internals._collect_without_topic_entity
    )
    assert rasa_internals._original_collect_user is original_user


def test_the_story_test_compares_a_message_without_the_topic_entity(monkeypatch: Any) -> None:
    seen = []
    monkeypatch.setattr(
        rasa_internals, "_original_collect_user", lambda e, predicted, t, f: seen.append(predicted)
    )
    medication = {"entity": "medication", "value": "sertraline", "start": 0, "end": 6}
    predicted = {
        "intent": {"name": "faq"},
        "entities": [medication, {"entity": "topic", "value": "bdnf"}],
    }
    rasa_internals._collect_without_topic_entity(None, predicted, None, True)
    assert seen == [{"intent": {"name": "faq"}, "entities": [medication]}]
    # The parse result itself is left as it was.
    assert len(predicted["entities"]) == 2


def test_one_message_is_collected_whole() -> None:
    from rasa.core.channels.channel import CollectingOutputChannel

    collector = CollectingOutputChannel()
    asyncio.run(collect_text(collector, "r", "one\n\ntwo"))
    assert collector.messages == [{"recipient_id": "r", "text": "one\n\ntwo"}]


def test_the_trained_models_crisis_guard_configuration_is_read() -> None:
    from bot import launcher
    from bot.nlu.crisis_guard import CrisisGuard
    from tools.evaluate_crisis import guard_threshold

    if not launcher.MODEL.exists():
        pytest.skip("no trained model")
    assert rasa_internals.predict_node_config(launcher.MODEL, CrisisGuard.__name__) is not None
    assert 0.0 < guard_threshold(launcher.MODEL) < 1.0
    assert rasa_internals.predict_node_config(launcher.MODEL, "NoSuchComponent") is None
