"""Runs `rasa test` on the test stories with Rasa's fix for full retrieval names applied.

Rasa 3.6 compares `utter_faq/<topic>` in a test story correctly, but then records that full name
in the evaluation tracker, where a served conversation records `utter_faq`; the next prediction
(`action_listen`) then fails after every answer (RasaHQ/rasa#8459, fix proposed in #9657 and never
released). This records the base name, as serving does, and changes nothing else.

    python -m tools.story_test core --e2e --stories tests/stories --fail-on-prediction-errors ...
"""

from __future__ import annotations

import sys
from typing import Any

import rasa.core.test as core_test
from rasa.shared.core.events import ActionExecuted
from rasa.shared.nlu.constants import RESPONSE_IDENTIFIER_DELIMITER

_collect_action_executed_predictions = core_test._collect_action_executed_predictions


async def _collect_with_base_retrieval_names(
    processor: Any, partial_tracker: Any, event: ActionExecuted, fail_on_prediction_errors: bool
) -> Any:
    result = await _collect_action_executed_predictions(
        processor, partial_tracker, event, fail_on_prediction_errors
    )
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


def main() -> None:
    core_test._collect_action_executed_predictions = _collect_with_base_retrieval_names
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", "test", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
