"""Speed-ups to Rasa internals that change no behaviour: the replacements themselves.

`bot.rasa_internals.install_server_patches` puts them in place (it names each target, checks it
exists, and is the one module that touches Rasa's internals); the response generator calls it
when Rasa creates it, and every Rasa server of this project creates one (endpoints.yml), so
`make run`, the tests and `make bench` alike run with them.

- Rasa checks each action server response with `jsonschema.validate`, which validates the
  schema itself against the JSON Schema meta-schema and builds a new validator on every call:
  ~18 ms of each follow-up turn, against ~0.3 ms with one validator built once.
- `RulePolicy` looks for the rules that apply to the conversation by checking every rule key
  against the latest state, then the state before, and so on; its cost grows with the number of
  rules (the crisis conversation's rules doubled a turn's time, README "Performance"). The
  replacement first keeps only the keys whose last state has the conversation's previous action
  (an index built once per lookup table), then runs Rasa's own check on them, and on the earlier
  states as Rasa does: the same keys, found without looking at the others.
"""

from __future__ import annotations

import functools
from typing import Any, Dict, FrozenSet, List, Optional, Set, Text, Tuple

import jsonschema
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.constants import PREVIOUS_ACTION, SHOULD_NOT_BE_SET
from rasa.shared.nlu.constants import ACTION_NAME, ACTION_TEXT


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


# --- RulePolicy: the rule keys that can apply, found by the previous action --------------------

# A key whose last state has no previous action: a rule for the start of a conversation.
_STARTS = ("start", "")
# A key whose last state names no action and no text: checked against every state.
_ANY = ("any", "")


def _last_state_bucket(rule_states: List[Dict[Text, Any]]) -> Tuple[Text, Text]:
    """Where a rule key goes in the index: by its last state's previous action."""
    previous = rule_states[-1].get(PREVIOUS_ACTION) if rule_states else None
    if not previous:
        return _STARTS
    for kind in (ACTION_NAME, ACTION_TEXT):
        value = previous.get(kind)
        if value and value != SHOULD_NOT_BE_SET:
            return (kind, str(value))
    return _ANY


class RuleKeyIndex:
    """The rule keys of one lookup table, by the previous action of their last state."""

    def __init__(self, keys: FrozenSet[Text], rule_key_to_state: Any) -> None:
        self.keys = keys
        self.buckets: Dict[Tuple[Text, Text], Set[Text]] = {}
        for key in keys:
            bucket = _last_state_bucket(rule_key_to_state(key))
            self.buckets.setdefault(bucket, set()).add(key)

    def candidates(self, state: Dict[Text, Any]) -> Set[Text]:
        """The keys that may apply to a conversation whose latest state is `state`: a superset
        of those Rasa's check keeps (it keeps a key only if the previous actions agree)."""
        previous = state.get(PREVIOUS_ACTION)
        if not previous:
            return set(self.buckets.get(_STARTS, ()))
        found = set(self.buckets.get(_ANY, ()))
        for kind in (ACTION_NAME, ACTION_TEXT):
            value = previous.get(kind)
            if value:
                found |= self.buckets.get((kind, str(value)), set())
        return found


# Each lookup table with its index. A loaded policy's tables never change; holding the table
# keeps its id from being reused, and a table of another size is indexed afresh.
_INDEXES: Dict[int, Tuple[Dict[Text, Text], int, RuleKeyIndex]] = {}


def _index_for(policy: Any, lookup: Dict[Text, Text]) -> RuleKeyIndex:
    known = _INDEXES.get(id(lookup))
    if known is None or known[0] is not lookup or known[1] != len(lookup):
        known = (lookup, len(lookup), RuleKeyIndex(frozenset(lookup), policy._rule_key_to_state))
        _INDEXES[id(lookup)] = known
    return known[2]


def _get_possible_keys(
    self: Any, lookup: Dict[Text, Text], states: List[Dict[Text, Any]]
) -> Set[Text]:
    # Same contract as Rasa's own: the keys applicable at every state, latest first.
    reversed_states = list(reversed(states))
    if not reversed_states:
        return set(lookup)
    possible: Optional[Set[Text]] = None
    for index, state in enumerate(reversed_states):
        pool = _index_for(self, lookup).candidates(state) if possible is None else possible
        possible = {key for key in pool if self._is_rule_applicable(key, index, state)}
    return possible if possible is not None else set(lookup)
