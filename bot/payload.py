"""A button's payload: a message a button sent, rather than words a person wrote.

Buttons send `/<intent>` (the check-in's `/affirm` and `/deny`) or `/<retrieval intent>/<topic>`
(`/faq/bdnf`): Rasa's regex message handler resolves the first kind, the topic classifier the
second. A payload is a choice, not words to weigh: the crisis classifier, the language detector,
the personal-message router and the domain-term extractor leave it alone (the crisis rules still
read it). This is the one definition they all use.

A payload is the whole message (surrounding spaces aside): Rasa's intent prefix `/`, then only
lower-case letters, digits, `_` and `/`. A message that starts with `/` and goes on with anything
else was written, and is read like any other.
"""

from __future__ import annotations

import re
from typing import Optional, Tuple

from rasa.shared.constants import INTENT_MESSAGE_PREFIX
from rasa.shared.nlu.constants import RESPONSE_IDENTIFIER_DELIMITER

_PAYLOAD = re.compile(rf"^{re.escape(INTENT_MESSAGE_PREFIX)}[a-z0-9_/]+$")


def is_payload(text: Optional[str]) -> bool:
    """Whether a message is a button's payload."""
    return bool(_PAYLOAD.match((text or "").strip()))


def payload_names(text: Optional[str]) -> Tuple[str, ...]:
    """The names a payload holds, in order (`/faq/bdnf`: faq, bdnf); none for other text."""
    if not is_payload(text):
        return ()
    stripped = (text or "").strip()
    return tuple(stripped[len(INTENT_MESSAGE_PREFIX) :].split(RESPONSE_IDENTIFIER_DELIMITER))


def payload_for(*names: str) -> str:
    """What a button sends to name an intent (`/affirm`) or a retrieval topic (`/faq/bdnf`)."""
    return INTENT_MESSAGE_PREFIX + RESPONSE_IDENTIFIER_DELIMITER.join(names)


def payload_topic(text: Optional[str], retrieval_intent: str) -> Optional[str]:
    """The topic a `/<retrieval_intent>/<topic>` payload names, or None."""
    names = payload_names(text)
    if len(names) == 2 and names[0] == retrieval_intent and names[1]:
        return names[1]
    return None
