"""Where a message asks its question: real posts tell a story first and ask at the end."""

from __future__ import annotations

import re
from typing import Optional, Text, Tuple

# Sentence ends in the raw text; a question is the last sentence that ends with "?".
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")


def question_span(text: Text) -> Optional[Tuple[int, int]]:
    """Where the last question of a message of several sentences is, if it has one."""
    sentences = [match for match in _SENTENCE.finditer(text) if match.group().strip()]
    if len(sentences) < 2:
        return None
    for match in reversed(sentences):
        if match.group().rstrip().endswith("?"):
            return match.start(), match.end()
    return None
