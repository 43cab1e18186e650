"""Speed-ups to Rasa internals that change no behaviour: the replacements themselves.

`bot.rasa_internals.install_server_patches` puts them in place (it names each target, checks it
exists, and is the one module that touches Rasa's internals); the response generator calls it
when Rasa creates it, and every Rasa server of this project creates one (endpoints.yml), so
`make run`, the tests and `make bench` alike run with them.

- Rasa checks each action server response with `jsonschema.validate`, which validates the
  schema itself against the JSON Schema meta-schema and builds a new validator on every call:
  ~18 ms of each follow-up turn, against ~0.3 ms with one validator built once.
"""

from __future__ import annotations

import functools
from typing import Any, Dict, Text

import jsonschema
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


@functools.lru_cache(maxsize=1)
def action_result_validator() -> Any:
    """The validator of Rasa's action server response schema, checked and built once."""
    schema = RemoteAction.action_response_format_spec()
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    # Same contract as Rasa's own: True, or the ValidationError with its advice appended.
    error = jsonschema.exceptions.best_match(action_result_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your response from "
        "the Action endpoint is valid. For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error
