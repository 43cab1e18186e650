"""Every place the project relies on Rasa's private or internal API, in one module.

Rasa's public API (components, channels, tracker stores, events, constants) is used where it is
needed; what it does not promise lives here, each touch with what it relies on:

1. `RemoteAction._validate_action_result` is replaced by a cached validator, and
   `RulePolicy._get_possible_keys` by an indexed search (`bot.rasa_speedups`), in every Rasa
   server of this project: `install_server_patches`, called by the response generator when Rasa
   creates it.
2. `rasa.core.test._collect_action_executed_predictions` and `._collect_user_uttered_predictions`
   are wrapped for `rasa test` only (`tools.story_test`): `install_story_test_patches`.
3. `CollectingOutputChannel._message` and `._persist_message` store one REST message
   (`bot.channels`): `collect_text`.
4. `Event._from_parameters` reads a stored event, its class resolved once (`bot.tracker_store`):
   `event_from_dict`.
5. `TrackerStore._stream_new_events` publishes a turn's new events to the event broker
   (`bot.tracker_store`): `publish_new_events`.
6. The model archive's `metadata.json` and its predict schema (`tools.evaluate_crisis`):
   `predict_node_config`.
7. The texts of two Rasa warnings that are wrong for the topic classifier
   (`bot.nlu.topic_classifier`): `ignore_retrieval_warnings`.

Also relied on, though not underscored: `RedisTrackerStore`'s `red`, `key_prefix` and
`record_exp` attributes (`bot.tracker_store`). The tracker stores override the public `retrieve`
and `retrieve_full_tracker`, not the private `_retrieve` they call in Rasa. `bot/profile_message.py`
names Rasa's source files and functions to sort profiled time into stages: a report only, where a
renamed function would show as 0 ms.

Written against Rasa `RASA_VERSION`; `tests/test_rasa_internals.py` fails when another version is
installed, and every patch checks that its target exists before it replaces it.
"""

from __future__ import annotations

import functools
import json
import logging
import tarfile
import types
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Text, Tuple

import rasa

if TYPE_CHECKING:
    from rasa.core.brokers.broker import EventBroker
    from rasa.core.channels.channel import CollectingOutputChannel
    from rasa.core.tracker_store import TrackerStore
    from rasa.shared.core.events import Event

logger = logging.getLogger(__name__)

# The Rasa release every touch below was written and checked against.
RASA_VERSION = "3.6.21"


class RasaInternalsError(RuntimeError):
    """Something this project relies on is not where it was in Rasa `RASA_VERSION`."""


def version_mismatch() -> Optional[str]:
    """Why the installed Rasa may not be what this module was written for; None if it is."""
    installed = getattr(rasa, "__version__", "unknown")
    if installed == RASA_VERSION:
        return None
    return (
        f"Rasa {installed} is installed, but bot/rasa_internals.py was written against Rasa "
        f"{RASA_VERSION}: check each touch it lists, then update RASA_VERSION."
    )


def require(owner: Any, name: str) -> Any:
    """`owner.name`, or an error that names what is missing."""
    try:
        return getattr(owner, name)
    except AttributeError:
        if isinstance(owner, types.ModuleType):
            where = owner.__name__
        else:
            cls = owner if isinstance(owner, type) else type(owner)
            where = f"{cls.__module__}.{cls.__qualname__}"
        raise RasaInternalsError(
            f"{where}.{name} does not exist in the installed Rasa "
            f"({getattr(rasa, '__version__', 'unknown')}); bot/rasa_internals.py relies on it "
            f"(written against Rasa {RASA_VERSION})."
        ) from None


@dataclass(frozen=True)
class Patch:
    """One attribute of Rasa's replaced by the project's own."""

    owner: Any
    name: str
    replacement: Any

    def install(self) -> None:
        """Replaces the attribute; checks first that it exists; a second call changes nothing."""
        require(self.owner, self.name)
        setattr(self.owner, self.name, self.replacement)

    @property
    def installed(self) -> bool:
        return getattr(self.owner, self.name, None) is self.replacement


# --- 1. Rasa servers: the action server's responses checked with one validator ------------------


def server_patches() -> List[Patch]:
    from rasa.core.actions.action import RemoteAction
    from rasa.core.policies.rule_policy import RulePolicy

    from bot import rasa_speedups

    # Relies on: RemoteAction calls `self._validate_action_result(response)` on every action
    # server response, expecting True or a jsonschema.ValidationError (rasa/core/actions/action.py).
    # RulePolicy calls `self._get_possible_keys(lookup, states)` for the keys of `lookup` applicable
    # at every state (latest last in `states`), each checked with
    # `self._is_rule_applicable(key, turn_index, state)` and parsed with `_rule_key_to_state`
    # (rasa/core/policies/rule_policy.py).
    require(RulePolicy, "_is_rule_applicable")
    require(RulePolicy, "_rule_key_to_state")
    return [
        Patch(RemoteAction, "_validate_action_result", rasa_speedups._validate_action_result),
        Patch(RulePolicy, "_get_possible_keys", rasa_speedups._get_possible_keys),
    ]


def install_server_patches() -> None:
    """The speed-ups every Rasa server of this project runs with; safe to call again."""
    mismatch = version_mismatch()
    if mismatch:
        logger.warning(mismatch)
    for patch in server_patches():
        patch.install()


# --- 2. `rasa test`: full retrieval names recorded as serving records them ----------------------

_original_collect: Optional[Callable[..., Any]] = None
_original_collect_user: Optional[Callable[..., Any]] = None


def story_test_patches() -> List[Patch]:
    import rasa.core.test as core_test

    # Relies on: `rasa.core.test._collect_action_executed_predictions(processor, partial_tracker,
    # event, fail_on_prediction_errors)` predicts one test-story action and records it as the
    # tracker's last event; `_collect_user_uttered_predictions(event, predicted, partial_tracker,
    # fail_on_prediction_errors)` compares a story's message with its parse result `predicted`
    # (a dict with `entities`). The module looks both up by name at each call.
    return [
        Patch(core_test, "_collect_action_executed_predictions", _collect_base_names),
        Patch(core_test, "_collect_user_uttered_predictions", _collect_without_topic_entity),
    ]


def install_story_test_patches() -> None:
    """Rasa's fix for full retrieval names in test stories, and the `topic` entity left out of
    the comparison of a story's messages (see `tools.story_test`)."""
    global _original_collect, _original_collect_user
    collect, collect_user = story_test_patches()
    if not collect.installed:
        _original_collect = require(collect.owner, collect.name)
        collect.install()
    if not collect_user.installed:
        _original_collect_user = require(collect_user.owner, collect_user.name)
        collect_user.install()


def _collect_without_topic_entity(
    event: Any, predicted: Dict[Text, Any], partial_tracker: Any, fail_on_prediction_errors: bool
) -> Any:
    """The `topic` entity (bot.nlu.answered_topic) restates the topic of the intent a story
    already names (`faq/bdnf`), with no place in the text to annotate it: it is left out of the
    comparison, which then checks the intent and the annotated entities as before."""
    from bot.nlu.answered_topic import TOPIC_ENTITY

    assert _original_collect_user is not None, "install_story_test_patches() first"
    entities = [
        entity
        for entity in predicted.get("entities") or []
        if not (isinstance(entity, dict) and entity.get("entity") == TOPIC_ENTITY)
    ]
    return _original_collect_user(
        event, {**predicted, "entities": entities}, partial_tracker, fail_on_prediction_errors
    )


async def _collect_base_names(
    processor: Any, partial_tracker: Any, event: Any, fail_on_prediction_errors: bool
) -> Any:
    from rasa.shared.core.events import ActionExecuted
    from rasa.shared.nlu.constants import RESPONSE_IDENTIFIER_DELIMITER

    assert _original_collect is not None, "install_story_test_patches() first"
    result = await _original_collect(processor, partial_tracker, event, fail_on_prediction_errors)
    recorded = partial_tracker.events[-1] if partial_tracker.events else None
    if (
        isinstance(recorded, ActionExecuted)
        and type(recorded) is ActionExecuted  # not a recorded mis-prediction
        and RESPONSE_IDENTIFIER_DELIMITER in (recorded.action_name or "")
    ):
        partial_tracker.events.pop()
        partial_tracker.update(
            ActionExecuted(
                recorded.action_name.split(RESPONSE_IDENTIFIER_DELIMITER)[0],
                recorded.policy,
                recorded.confidence,
                recorded.timestamp,
                metadata=recorded.metadata,
            )
        )
    return result


# --- 3. The REST channel: one message stored as Rasa's collector stores it -----------------------


async def collect_text(collector: CollectingOutputChannel, recipient_id: Text, text: Text) -> None:
    """Stores `text` as one message, where Rasa's collector splits it at blank lines.

    Relies on: `CollectingOutputChannel._message(recipient_id, text=...)` builds the stored dict
    (None values left out) and `._persist_message(message)` appends it to `messages`."""
    build = require(collector, "_message")
    persist = require(collector, "_persist_message")
    await persist(build(recipient_id, text=text))


# --- 4. and 5. The tracker stores: reading stored events, publishing new ones --------------------


@functools.lru_cache(maxsize=None)
def _event_reader(type_name: Text) -> Callable[[Dict[Text, Any]], Optional[Event]]:
    # `Event.from_parameters` walks every subclass of Event for each event it reads, which was
    # most of a turn's retrieval; the classes do not change while the server runs.
    from rasa.shared.core.events import Event

    event_class = Event.resolve_by_type(type_name)
    assert event_class is not None
    return require(event_class, "_from_parameters")


def event_from_dict(parameters: Dict[Text, Any]) -> Event:
    """The event an `event.as_dict()` describes.

    Relies on: `Event._from_parameters(parameters)` of the class `Event.resolve_by_type` names,
    which is what `Event.from_parameters` calls once it has found the class."""
    event = _event_reader(parameters["event"])(parameters)
    if event is None:
        raise ValueError(f"unreadable stored event of type {parameters['event']!r}")
    return event


async def publish_new_events(
    store: TrackerStore, broker: EventBroker, events: List[Event], sender_id: Text
) -> None:
    """Publishes a turn's new events as Rasa's own `stream_events` does.

    Relies on: `TrackerStore._stream_new_events(broker, new_events, sender_id)` publishes each
    event as `{"sender_id": ..., **event.as_dict()}`."""
    await require(store, "_stream_new_events")(broker, events, sender_id)


# --- 6. The model archive: a component's configuration ------------------------------------------


def predict_node_config(model: Path, uses_suffix: str) -> Optional[Dict[Text, Any]]:
    """The configuration the trained model gives the first prediction-graph node whose class
    name ends with `uses_suffix`, or None.

    Relies on: the archive holds a `metadata.json` whose `predict_schema.nodes` map node names
    to `{"uses": "<module>.<Class>", "config": {...}}` (rasa/engine/storage)."""
    with tarfile.open(model) as archive:
        for member in archive.getmembers():
            if member.name.endswith("metadata.json"):
                metadata = json.load(archive.extractfile(member))  # type: ignore[arg-type]
                for node in metadata["predict_schema"]["nodes"].values():
                    if node["uses"].endswith(uses_suffix):
                        return dict(node["config"])
    return None


# --- 7. Warnings that are wrong for the topic classifier -----------------------------------------

# Relies on: Rasa's recipe validator warns with this text when retrieval intents are trained
# without its own ResponseSelector (rasa/graph_components/validators/default_recipe_validator.py).
RESPONSE_SELECTOR_WARNING = (
    "You have defined training data with examples for training a response selector"
)
# Relies on: Rasa's regex message handler warns with this text when a `/...` message names no
# domain intent (a button's `/faq/<topic>`), then passes the text on unchanged
# (rasa/shared/core/training_data/story_reader/yaml_story_reader.py).
FAILED_PAYLOAD_WARNING = r"Failed to parse arguments in line '/faq/"


def ignore_retrieval_warnings() -> None:
    """Silences the two warnings that are wrong for a classifier of retrieval topics."""
    warnings.filterwarnings("ignore", message=RESPONSE_SELECTOR_WARNING)
    warnings.filterwarnings("ignore", message=FAILED_PAYLOAD_WARNING)


def patch_targets() -> List[Patch]:
    """Every attribute this module patches, for the checks."""
    return server_patches() + story_test_patches()


def called_targets() -> List[Tuple[Any, str]]:
    """(owner, name) of every private attribute this module calls, for the checks."""
    from rasa.core.channels.channel import CollectingOutputChannel
    from rasa.core.tracker_store import TrackerStore
    from rasa.shared.core.events import BotUttered, Event

    return [
        (CollectingOutputChannel, "_message"),
        (CollectingOutputChannel, "_persist_message"),
        (Event, "_from_parameters"),
        (BotUttered, "_from_parameters"),
        (TrackerStore, "_stream_new_events"),
    ]
